"""`python -m pie_trtllm_runtime`.

TensorRT-LLM's executor workers (mpi4py's MPIPoolExecutor, even at tensor_parallel_size = 1)
re-run the parent's main module under the name `__worker__`, so nothing may run on import.

The version check comes first and uses only what old interpreters parse: on Python below 3.10 the
rest of the runtime does not even import, and the driver gets one handshake line saying why
instead of a traceback."""

import json
import os
import sys

MINIMUM_PYTHON = (3, 10)


def unsupported_python(version):
    """Why this interpreter cannot run the runtime, or None."""
    if tuple(version[:2]) >= MINIMUM_PYTHON:
        return None
    return ("Python %d.%d runs the runtime, but TensorRT-LLM 1.2.1 and this runtime need Python 3.10 to 3.12; "
            "point options.venv at a Python 3.12 environment (pie-trtllm install creates one)" % tuple(version[:2]))


def _refuse(why):
    sys.stderr.write("pie_trtllm_runtime: %s\n" % why)
    if "--handshake-fd" in sys.argv[:-1]:
        fd = int(sys.argv[sys.argv.index("--handshake-fd") + 1])
        os.write(fd, (json.dumps({"error": {"code": "ENGINE_IMPORT_FAILED", "message": why}}) + "\n").encode("utf-8"))
    return 1


if __name__ == "__main__":
    problem = unsupported_python(sys.version_info)
    if problem:
        sys.exit(_refuse(problem))
    from .launcher import main

    sys.exit(main())
