"""KvCacheConfig of TensorRT-LLM 1.2.1: a strict model (unknown fields are an error). Its fields
come from `api_1_2_1.json`."""

from .api import KV_CACHE_CONFIG_FIELDS


class ValidationError(ValueError):
    """Stands for pydantic's ValidationError (a ValueError subclass)."""


class KvCacheConfig:
    def __init__(self, **kwargs):
        unknown = sorted(set(kwargs) - set(KV_CACHE_CONFIG_FIELDS))
        if unknown:
            raise ValidationError("1 validation error for KvCacheConfig\n%s\n  Extra inputs are not permitted [type=extra_forbidden]" % unknown[0])
        for name, default in KV_CACHE_CONFIG_FIELDS.items():
            setattr(self, name, kwargs.get(name, default))
        fraction = self.free_gpu_memory_fraction
        if fraction is not None and not (0 <= fraction <= 1):
            raise ValidationError("1 validation error for KvCacheConfig\nfree_gpu_memory_fraction\n"
                                  "  Value error, kv_cache_config.free_gpu_memory_fraction must be a float between 0 and 1")

    def __repr__(self):
        return "KvCacheConfig(%s)" % ", ".join("%s=%r" % (k, getattr(self, k)) for k in KV_CACHE_CONFIG_FIELDS)
