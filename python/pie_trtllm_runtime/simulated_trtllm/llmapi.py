"""`tensorrt_llm.llmapi` as far as the driver uses it."""

from .kv_cache_config import KvCacheConfig
from .outputs import CompletionOutput, RequestOutput

__all__ = ["KvCacheConfig", "CompletionOutput", "RequestOutput"]
