"""`python -m pie_trtllm_runtime`.

TensorRT-LLM's executor workers (mpi4py's MPIPoolExecutor, even at tensor_parallel_size = 1)
re-run the parent's main module under the name `__worker__`, so nothing may run on import."""

import sys

from .launcher import main

if __name__ == "__main__":
    sys.exit(main())
