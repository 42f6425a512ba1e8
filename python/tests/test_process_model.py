"""TensorRT-LLM 1.2.1's process model: `LLM(...)` starts executor workers that re-run the parent's
main module as `__worker__` (mpi4py's import_main), so a main module that works on import breaks
at load, as it would on a GPU."""

import os
import signal
import time

from helpers import GREEDY, batch, greedy_continuation
from runtime_process import PYTHON_DIR, RuntimeProcess

UNGUARDED_MAIN = "import sys\nfrom pie_trtllm_runtime.launcher import main\n\nsys.exit(main())\n"


def unguarded_package(tmp_path):
    package = tmp_path / "unguarded_runtime"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(UNGUARDED_MAIN)
    return {"PYTHONPATH": os.pathsep.join([str(tmp_path), PYTHON_DIR])}


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_a_guarded_main_module_starts_with_a_worker_per_rank_and_serves():
    runtime = RuntimeProcess()
    try:
        assert runtime.handshake[-1] == {"ready": True}
        assert len(children(runtime.process.pid)) == 1  # one executor worker, tensor_parallel_size 1
        reply = runtime.call({"op": "forward", "batch": batch([(1, [1, 2, 3], 0, GREEDY)])})
        assert reply["results"] == [greedy_continuation([1, 2, 3], 1)]
        assert runtime.call({"op": "status"})["status"]["simulated_engine"]["world_size"] == 1
        runtime.call({"op": "shutdown"})
    finally:
        runtime.close()


def test_an_unguarded_main_module_fails_at_load_with_its_worker_last_words(tmp_path):
    runtime = RuntimeProcess(env=unguarded_package(tmp_path), module="unguarded_runtime")
    try:
        error = runtime.handshake[0]["error"]
        assert error["code"] == "ENGINE_LOAD_FAILED"
        assert "Executor worker died during initialization" in error["message"]
        runtime.process.wait(timeout=10)
        assert b"usage: python -m pie_trtllm_runtime" in runtime.process.stderr.read()
    finally:
        runtime.close()


def test_single_process_executor_skips_the_worker(tmp_path):
    env = dict(unguarded_package(tmp_path), TLLM_WORKER_USE_SINGLE_PROCESS="1")
    runtime = RuntimeProcess(env=env, module="unguarded_runtime")
    try:
        assert runtime.handshake[-1] == {"ready": True}
        assert children(runtime.process.pid) == []
        runtime.call({"op": "shutdown"})
    finally:
        runtime.close()


def test_a_killed_runtime_leaves_no_worker_behind():
    runtime = RuntimeProcess()
    try:
        workers = children(runtime.process.pid)
        assert len(workers) == 1
        os.kill(runtime.process.pid, signal.SIGKILL)
        runtime.process.wait(timeout=10)
        deadline = time.monotonic() + 5
        while alive(workers[0]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(workers[0])
    finally:
        runtime.close()


def test_shutdown_ends_the_workers():
    runtime = RuntimeProcess()
    try:
        workers = children(runtime.process.pid)
        runtime.call({"op": "shutdown"})
        runtime.process.wait(timeout=10)
        assert runtime.process.returncode == 0
        assert not any(alive(w) for w in workers)
    finally:
        runtime.close()
