"""A `tensorrt_llm` for the real-MPI check (scripts/real-mpi/check.py), not for serving.

Above, the simulated TensorRT-LLM 1.2.1 API of the runtime; underneath, the process tree that
TensorRT-LLM 1.2.x builds at every tensor-parallel size: a real mpi4py `MPIPoolExecutor` (whose
first use makes Open MPI start its singleton daemon, `orted --set-sid`), and a worker that holds
most of the GPU's memory until `LLM.shutdown()`. A replacement that loads while a dead replica's
worker still holds the GPU fails here as it would with a real model: CUDA out of memory."""

import os

# The simulated engine's own stand-in workers are replaced by the real MPI ones below.
os.environ["TLLM_WORKER_USE_SINGLE_PROCESS"] = "1"

from pie_trtllm_runtime.simulated_trtllm import KvCacheConfig, SamplingParams, __version__  # noqa: E402
from pie_trtllm_runtime.simulated_trtllm.llm import LLM as _SimulatedLLM  # noqa: E402

from . import llmapi  # noqa: E402,F401

_HELD = []


def _hold_gpu(fraction):
    """Runs in the MPI worker: takes `fraction` of the GPU's memory and keeps it."""
    import torch

    free, total = torch.cuda.mem_get_info()
    _HELD.append(torch.empty(int(total * fraction), dtype=torch.uint8, device="cuda"))
    return os.getpid(), int(total * fraction), free


class LLM(_SimulatedLLM):
    def __init__(self, *args, **kwargs):
        from mpi4py.futures import MPIPoolExecutor

        self._pool = MPIPoolExecutor(max_workers=1)
        fraction = float(os.environ.get("REAL_MPI_HOLD_FRACTION", "0.6"))
        try:
            self.worker_pid, held, free = self._pool.submit(_hold_gpu, fraction).result()
        except BaseException:
            self._pool.shutdown(wait=False, cancel_futures=True)
            raise
        print("[tensorrt_llm stand-in] MPI worker %d holds %d MiB of the GPU (%d MiB were free)" % (self.worker_pid, held >> 20, free >> 20), flush=True)
        super().__init__(*args, **kwargs)

    def shutdown(self):
        super().shutdown()
        pool, self._pool = getattr(self, "_pool", None), None
        if pool is not None:
            pool.shutdown(wait=True)


__all__ = ["LLM", "SamplingParams", "KvCacheConfig", "__version__"]
