"""TensorRT-LLM 1.2.1's process model: `LLM(...)` starts executor workers that re-run the parent's
main module as `__worker__` (mpi4py's import_main), so a main module that works on import breaks
at load, as it would on a GPU. The workers are started by Open MPI's singleton daemon, which runs
in a session of its own, each worker in its own process group, and which kills them 1-3 s after
the runtime dies (reference/mpi-process-tree.md, measured with mpi4py 4.1.2 and Open MPI 4.1.6)."""

import os
import signal
import time

from helpers import GREEDY, batch, greedy_continuation
from runtime_process import RuntimeProcess, runtime_package

UNGUARDED_MAIN = "import sys\nfrom pie_trtllm_runtime.launcher import main\n\nsys.exit(main())\n"


def unguarded_package(tmp_path):
    return runtime_package(tmp_path, "unguarded_runtime", UNGUARDED_MAIN)


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []


def group_and_session(pid):
    with open("/proc/%d/stat" % pid) as handle:
        fields = handle.read().split(")")[-1].split()
    return int(fields[2]), int(fields[3])


def replica_tree(runtime_pid):
    """The runtime's MPI daemon (its only child) and the daemon's workers."""
    (daemon,) = children(runtime_pid)
    return daemon, children(daemon)


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
        daemon, workers = replica_tree(runtime.process.pid)
        assert len(workers) == 1  # one executor worker, tensor_parallel_size 1
        runtime_group = group_and_session(runtime.process.pid)
        assert group_and_session(daemon) == (daemon, daemon)  # setsid: a session and group of its own
        assert group_and_session(workers[0]) == (workers[0], daemon)  # its own group, the daemon's session
        assert runtime_group[0] not in (daemon, workers[0])
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


def test_a_killed_runtime_leaves_its_worker_holding_on_until_the_daemon_kills_it():
    runtime = RuntimeProcess(env={"PIE_TRTLLM_SIMULATE_DAEMON_KILL_DELAY_S": "1"})
    try:
        daemon, workers = replica_tree(runtime.process.pid)
        os.kill(runtime.process.pid, signal.SIGKILL)
        runtime.process.wait(timeout=10)
        time.sleep(0.3)
        assert alive(workers[0]) and alive(daemon), "the worker outlives its runtime for a while"
        deadline = time.monotonic() + 5
        while (alive(workers[0]) or alive(daemon)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(workers[0]) and not alive(daemon)
    finally:
        runtime.close()


def test_the_daemon_kills_a_worker_that_ignores_sigterm():
    runtime = RuntimeProcess(env={"PIE_TRTLLM_SIMULATE_DAEMON_KILL_DELAY_S": "0", "PIE_TRTLLM_SIMULATE_WORKER_IGNORES_SIGTERM": "1"})
    try:
        _, workers = replica_tree(runtime.process.pid)
        os.kill(runtime.process.pid, signal.SIGKILL)
        runtime.process.wait(timeout=10)
        deadline = time.monotonic() + 5
        while alive(workers[0]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(workers[0])
    finally:
        runtime.close()


def test_shutdown_ends_the_workers_and_the_daemon_at_once():
    runtime = RuntimeProcess()
    try:
        daemon, workers = replica_tree(runtime.process.pid)
        runtime.call({"op": "shutdown"})
        runtime.process.wait(timeout=10)
        assert runtime.process.returncode == 0
        assert not any(alive(pid) for pid in [daemon, *workers])
    finally:
        runtime.close()


def test_a_gpu_held_by_a_live_worker_fails_the_next_load_like_cuda_out_of_memory(tmp_path):
    env = {"PIE_TRTLLM_SIMULATE_GPU_DIR": str(tmp_path / "gpus")}
    config = {"driver": {"options": {}}, "model": {"name": "m", "hf_repo": "sim"}, "device": "cuda:3", "simulate": True}
    first = RuntimeProcess(env=env, config=config)
    try:
        assert first.handshake[-1] == {"ready": True}
        _, workers = replica_tree(first.process.pid)
        second = RuntimeProcess(env=env, config=config)
        try:
            error = second.handshake[0]["error"]
            assert error["code"] == "ENGINE_LOAD_FAILED"
            # Physical GPU 3 is CUDA device 0 of a runtime pinned to it, as torch names it.
            assert "CUDA out of memory" in error["message"] and "GPU 0 " in error["message"]
            assert sorted(os.listdir(tmp_path / "gpus")) == ["gpu-3.lock"]
            assert "Process %d has" % workers[0] in error["message"]
        finally:
            second.close()
        first.call({"op": "shutdown"})
        first.process.wait(timeout=10)
        third = RuntimeProcess(env=env, config=config)
        try:
            assert third.handshake[-1] == {"ready": True}, "the memory was freed with the worker"
            third.call({"op": "shutdown"})
        finally:
            third.close()
    finally:
        first.close()
