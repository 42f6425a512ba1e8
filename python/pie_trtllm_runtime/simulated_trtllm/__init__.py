"""A strict stand-in for `tensorrt_llm` 1.2.1, used only when asked (`--simulate`).

It enforces the public signatures of `LLM`, `LLM.generate`, `SamplingParams` and `KvCacheConfig`
as TensorRT-LLM 1.2.1 defines them (lists in `api_1_2_1.json`), starts executor worker processes
that re-run the parent's main module as 1.2.1's MPI workers do, honours only what the configured
1.2.1 sampler honours, and runs a deterministic model (`model.py`): vocabulary 32000, end id 2,
pad id 0."""

from .llm import LLM, SIMULATED_MODEL, simulation_statistics
from .llmapi import KvCacheConfig
from .sampling_params import SamplingParams

__version__ = "1.2.1"
SIMULATED = True

__all__ = ["LLM", "SamplingParams", "KvCacheConfig", "SIMULATED_MODEL", "simulation_statistics", "__version__"]
