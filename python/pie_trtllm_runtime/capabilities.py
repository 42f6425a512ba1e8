"""The capability report, with Pie's field names and the values Pie's own TensorRT-LLM driver sends,
plus what this driver's configured sampler honours."""

from .sampler_support import SamplerSupport

U32_MAX = 2 ** 32 - 1


def capability_report(options, model, activation_dtype, snapshot_dir=""):
    total_pages = int(options.get("virtual_total_pages", 65536))
    batched = int(options.get("max_batched_tokens", 8192))
    sampler = SamplerSupport.from_options(options)
    return {
        "total_pages": total_pages,
        "kv_page_size": int(options.get("virtual_kv_page_size", 16)),
        "swap_pool_size": 0,
        "max_forward_tokens": batched,
        "max_forward_requests": int(options.get("max_concurrent_requests", 128)),
        "max_page_refs": total_pages,
        "max_logit_rows": batched,
        "max_prob_rows": batched,
        "max_custom_mask_bytes": 0,
        "max_sampler_rows": U32_MAX,
        "max_logprob_labels": 0,
        "arch_name": model.arch_name,
        "vocab_size": model.vocab_size,
        "max_model_len": model.max_model_len,
        "activation_dtype": activation_dtype,
        "rs_cache_required": False,
        "rs_cache_slots": 0,
        "rs_cache_slot_bytes": 0,
        "supports_user_attention_mask": False,
        "supports_adapters": False,
        "snapshot_dir": snapshot_dir,
        "sampler_type": sampler.sampler_type,
        "supports_seeded_sampling": sampler.seeded,
        "supports_min_p": sampler.min_p,
    }
