"""Stand-in for `python -m mpi4py.futures.server`, the executor worker that TensorRT-LLM's
`MpiPoolSession` spawns for each rank (even at tensor_parallel_size = 1).

Like mpi4py's `_sync_set_data` and `import_main` (mpi4py `src/mpi4py/futures/_lib.py` @ 030252f4),
it receives the parent's main module name (`__main__.__spec__.name`) or path (`__main__.__file__`)
and runs it again under the name `__worker__` with `runpy`, with no command-line arguments of its
own. A main module that does work on import therefore does it here too, and if that ends the
process, the parent's `LLM(...)` fails as the real one does.

It holds its GPU's memory while it lives (`gpu_memory.py`, loaded by path), and ends when the
runtime's `LLM.shutdown()` tells it to. A runtime that dies tells it nothing: like a real worker,
whose MPI peer is gone without a word, it stays (holding its GPU) until the MPI daemon kills it.

Standard library only, and nothing from this package: the worker finds the parent's main module
only through its own import path, as an mpi4py worker does."""

import importlib.util
import json
import os
import runpy
import signal
import sys
import types

RUN_NAME = "__worker__"


def import_main(mod_name, mod_path):
    module = types.ModuleType(RUN_NAME)
    main_module = sys.modules["__main__"]
    sys.modules["__main__"] = sys.modules[RUN_NAME] = module
    try:
        if mod_name:
            runpy.run_module(mod_name, run_name=RUN_NAME, alter_sys=True)
        elif mod_path:
            runpy.run_path(mod_path, run_name=RUN_NAME)
    except BaseException:
        sys.modules["__main__"] = main_module
        raise


def _gpu_memory():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gpu_memory.py")
    spec = importlib.util.spec_from_file_location("_pie_simulated_gpu_memory", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def serve():
    status_fd = int(os.environ.pop("PIE_TRTLLM_SIMULATE_WORKER_STATUS_FD"))
    gpu = os.environ.pop("PIE_TRTLLM_SIMULATE_WORKER_GPU", "0")
    rank = int(os.environ.pop("PIE_TRTLLM_SIMULATE_WORKER_RANK", "0"))
    if os.environ.get("PIE_TRTLLM_SIMULATE_WORKER_IGNORES_SIGTERM") == "1":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    data = json.loads(sys.stdin.readline() or "{}")
    import_main(data.get("mod_name"), data.get("mod_path"))
    if os.environ.get("PIE_TRTLLM_SIMULATE_WORKER_HANG") == "1":
        sys.stdin.read()  # never reports ready; ends with the parent
        return
    memory = _gpu_memory()
    try:
        held = memory.hold(gpu, rank)  # noqa: F841 (held for the life of the process)
    except memory.OutOfMemory as error:
        os.write(status_fd, ("error %s\n" % error).encode("utf-8"))
        sys.exit(1)
    # The status channel stays open: the runtime sees it close when this worker ends.
    os.write(status_fd, b"ready\n")
    # The executor loop: runs until the runtime's LLM.shutdown() says so.
    for line in sys.stdin:
        if line.strip() == "shutdown":
            return
    while True:  # the runtime is gone without a word: wait to be killed, as an MPI worker does
        signal.pause()


if __name__ == "__main__":
    serve()
