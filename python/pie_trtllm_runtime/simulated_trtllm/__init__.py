"""A strict stand-in for `tensorrt_llm` 1.2.1, used only when asked (`--simulate`).

It enforces the public signatures of `LLM`, `LLM.generate`, `SamplingParams` and `KvCacheConfig`
as TensorRT-LLM 1.2.1 defines them, and runs a deterministic model:
vocabulary 32000, end id 2, pad id 0; greedy next token of a prompt h is
(31 * h[-1] + 7 * len(h) + 1) mod 32000."""

from .llm import LLM, SIMULATED_MODEL
from .llmapi import KvCacheConfig
from .sampling_params import SamplingParams

__version__ = "1.2.1"
SIMULATED = True

__all__ = ["LLM", "SamplingParams", "KvCacheConfig", "SIMULATED_MODEL", "__version__"]
