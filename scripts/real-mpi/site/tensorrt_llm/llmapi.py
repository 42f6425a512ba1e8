"""`tensorrt_llm.llmapi` for the real-MPI check: the simulated one."""

from pie_trtllm_runtime.simulated_trtllm.llmapi import CompletionOutput, KvCacheConfig, RequestOutput  # noqa: F401
