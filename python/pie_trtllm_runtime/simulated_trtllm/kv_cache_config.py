"""KvCacheConfig of TensorRT-LLM 1.2.1: a strict model (unknown fields are an error)."""


class ValidationError(ValueError):
    """Stands for pydantic's ValidationError (a ValueError subclass)."""


_FIELDS = {
    "enable_block_reuse": True,
    "max_tokens": None,
    "max_attention_window": None,
    "sink_token_length": None,
    "free_gpu_memory_fraction": 0.9,
    "host_cache_size": None,
    "onboard_blocks": True,
    "cross_kv_cache_fraction": None,
    "secondary_offload_min_priority": None,
    "event_buffer_max_size": 0,
    "attention_dp_events_gather_period_ms": 5,
    "enable_partial_reuse": True,
    "copy_on_partial_reuse": True,
    "use_uvm": False,
    "max_gpu_total_bytes": 0,
    "dtype": "auto",
    "mamba_ssm_cache_dtype": "auto",
    "tokens_per_block": 32,
}


class KvCacheConfig:
    def __init__(self, **kwargs):
        unknown = sorted(set(kwargs) - set(_FIELDS))
        if unknown:
            raise ValidationError("1 validation error for KvCacheConfig\n%s\n  Extra inputs are not permitted [type=extra_forbidden]" % unknown[0])
        for name, default in _FIELDS.items():
            setattr(self, name, kwargs.get(name, default))
        fraction = self.free_gpu_memory_fraction
        if fraction is not None and not (0 <= fraction <= 1):
            raise ValidationError("1 validation error for KvCacheConfig\nfree_gpu_memory_fraction\n  must be in [0, 1]")

    def __repr__(self):
        return "KvCacheConfig(%s)" % ", ".join("%s=%r" % (k, getattr(self, k)) for k in _FIELDS)
