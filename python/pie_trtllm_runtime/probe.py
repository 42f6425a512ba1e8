"""`python -m pie_trtllm_runtime --probe`: one JSON object that says whether this interpreter can
run the driver (Python version, TensorRT-LLM, MPI, torch and CUDA devices). Importing for real is
the only honest check."""

import ctypes.util
import json
import platform
import sys

from . import __version__


def _try_import(name):
    try:
        module = __import__(name)
        return module, {"ok": True, "version": str(getattr(module, "__version__", "unknown"))}
    except BaseException as error:  # noqa: BLE001 - an import can fail in many ways (MPI aborts, OSError)
        return None, {"ok": False, "error": "%s: %s" % (type(error).__name__, error)}


def probe(ray=False):
    report = {
        "python": {"version": platform.python_version(), "executable": sys.executable, "prefix": sys.prefix},
        "runtime": {"ok": True, "version": __version__},
        "mpi_library": ctypes.util.find_library("mpi"),
    }
    _, report["mpi4py"] = _try_import("mpi4py")
    torch, report["torch"] = _try_import("torch")
    if torch is not None:
        try:
            count = torch.cuda.device_count()
            report["cuda"] = {"available": bool(torch.cuda.is_available()), "device_count": count,
                              "devices": [torch.cuda.get_device_name(i) for i in range(count)]}
        except BaseException as error:  # noqa: BLE001
            report["cuda"] = {"available": False, "device_count": 0, "devices": [], "error": str(error)}
    else:
        report["cuda"] = {"available": False, "device_count": 0, "devices": [], "error": "torch is not importable"}
    _, report["tensorrt_llm"] = _try_import("tensorrt_llm")
    if ray:  # only when asked: importing Ray takes seconds
        _, report["ray"] = _try_import("ray")
    return report


def main(ray=False):
    sys.stdout.write(json.dumps(probe(ray)) + "\n")
    sys.stdout.flush()
    return 0
