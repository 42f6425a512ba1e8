"""Stand-in for `python -m mpi4py.futures.server`, the executor worker that TensorRT-LLM's
`MpiPoolSession` spawns for each rank (even at tensor_parallel_size = 1).

Like mpi4py's `_sync_set_data` and `import_main` (mpi4py `src/mpi4py/futures/_lib.py` @ 030252f4),
it receives the parent's main module name (`__main__.__spec__.name`) or path (`__main__.__file__`)
and runs it again under the name `__worker__` with `runpy`, with no command-line arguments of its
own. A main module that does work on import therefore does it here too, and if that ends the
process, the parent's `LLM(...)` fails as the real one does.

Standard library only, and nothing from this package: the worker finds the parent's main module
only through its own import path, as an mpi4py worker does."""

import json
import os
import runpy
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


def serve():
    status_fd = int(os.environ.pop("PIE_TRTLLM_SIMULATE_WORKER_STATUS_FD"))
    data = json.loads(sys.stdin.readline() or "{}")
    import_main(data.get("mod_name"), data.get("mod_path"))
    if os.environ.get("PIE_TRTLLM_SIMULATE_WORKER_HANG") == "1":
        sys.stdin.read()  # never reports ready; ends with the parent
        return
    os.write(status_fd, b"ready\n")
    os.close(status_fd)
    # The executor loop: runs until the parent closes the channel, by shutdown or by dying.
    sys.stdin.read()


if __name__ == "__main__":
    serve()
