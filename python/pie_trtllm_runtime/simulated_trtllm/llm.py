"""`tensorrt_llm.LLM` of 1.2.1 with its argument checks, over a deterministic model."""

import os
import sys
import time

from .kv_cache_config import KvCacheConfig
from .outputs import CompletionOutput, RequestOutput
from .sampling_params import SamplingParams

SIMULATED_MODEL = {
    "arch_name": "SimulatedForCausalLM",
    "vocab_size": 32000,
    "max_model_len": 131072,
    "end_id": 2,
    "pad_id": 0,
}

VOCAB = SIMULATED_MODEL["vocab_size"]
_MASK64 = (1 << 64) - 1

# TorchLlmArgs fields of 1.2.1 that `LLM(**kwargs)` accepts, besides the explicit parameters.
_TORCH_KWARGS = frozenset((
    "backend", "_mpi_session", "max_batch_size", "max_num_tokens", "max_seq_len", "max_input_len", "max_beam_width",
    "enable_chunked_prefill", "kv_cache_config", "attn_backend", "cuda_graph_config", "disable_overlap_scheduler",
    "sampler_type", "disable_flashinfer_sampling", "stream_interval", "garbage_collection_gen0_threshold",
    "enable_autotuner", "print_iter_log", "enable_iter_perf_stats", "enable_iter_req_stats", "torch_compile_config",
    "load_format", "pipeline_parallel_size", "context_parallel_size", "gpus_per_node", "enable_attention_dp",
    "enable_lora", "lora_config", "guided_decoding_backend", "speculative_config", "scheduler_config",
    "gather_generation_logits", "num_postprocess_workers", "postprocess_tokenizer_dir", "return_perf_metrics",
    "orchestrator_type", "env_overrides", "custom_tokenizer", "enable_sleep", "moe_config",
    "batch_wait_timeout_ms", "batch_wait_timeout_iters", "batch_wait_max_tokens_ratio", "checkpoint_format",
    "checkpoint_loader", "max_stats_len",
))
# Fields that exist only on TrtLlmArgs: the PyTorch LLM refuses them.
_TRT_ONLY_KWARGS = frozenset((
    "build_config", "quant_config", "calib_config", "enable_build_cache", "workspace", "enable_tqdm", "fast_build",
    "embedding_parallel_mode", "batching_type", "normalize_log_probs", "extended_runtime_perf_knob_config",
    "enable_prompt_adapter", "max_prompt_adapter_token", "fail_fast_on_attention_window_too_large",
))
_DTYPES = frozenset(("auto", "float16", "bfloat16", "float32"))


def greedy_next(last, length):
    """The documented greedy rule, for a prompt of `length` tokens ending in `last`."""
    return (31 * last + 7 * length + 1) % VOCAB


def _mix(value):
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def stochastic_next(history, seed, step, top_k):
    """A deterministic function of the seed, the prompt and the step; honours top_k as a range."""
    value = _mix((seed or 0) ^ _mix(len(history) ^ _mix(history[-1] ^ _mix(step))))
    if top_k:
        base = greedy_next(history[-1], len(history))
        return (base + value % top_k) % VOCAB
    return value % VOCAB


def _calls_from(variable):
    """Generate call numbers listed in an environment variable (fault injection for tests)."""
    spec = os.environ.get(variable, "")
    return frozenset(int(x) for x in spec.split(",") if x.strip())


class LLM:
    def __init__(self, model, tokenizer=None, tokenizer_mode="auto", skip_tokenizer_init=False, trust_remote_code=False,
                 tensor_parallel_size=1, dtype="auto", revision=None, tokenizer_revision=None, **kwargs):
        trt_only = sorted(set(kwargs) & _TRT_ONLY_KWARGS)
        if trt_only:
            raise ValueError(
                "The following arguments are specific to the TensorRT backend and cannot be used with the PyTorch backend: %s. "
                "Use tensorrt_llm._tensorrt_engine.LLM instead." % trt_only
            )
        for key in kwargs:
            if key not in _TORCH_KWARGS:
                raise ValueError("LLM got invalid argument: %s" % key)
        backend = kwargs.get("backend", "pytorch")
        if backend not in (None, "pytorch"):
            raise ValueError("the simulated TensorRT-LLM provides the PyTorch backend only, got backend=%r" % (backend,))
        if not isinstance(model, (str, os.PathLike)):
            raise TypeError("model must be a str or Path, got %r" % (model,))
        if dtype not in _DTYPES:
            raise ValueError("Unsupported dtype %r" % (dtype,))
        if tensor_parallel_size != 1:
            raise RuntimeError("Only 1 GPUs are available, but %d are required" % tensor_parallel_size)
        kv = kwargs.get("kv_cache_config")
        if isinstance(kv, dict):
            kv = KvCacheConfig(**kv)
        elif kv is not None and not isinstance(kv, KvCacheConfig):
            raise ValueError("kv_cache_config must be a KvCacheConfig, got %r" % (kv,))
        for key in ("max_batch_size", "max_num_tokens", "max_seq_len"):
            value = kwargs.get(key)
            if value is not None and (not isinstance(value, int) or value <= 0):
                raise ValueError("%s must be a positive integer, got %r" % (key, value))
        delay = float(os.environ.get("PIE_TRTLLM_SIMULATE_LOAD_SECONDS", "0") or 0)
        if delay > 0:
            time.sleep(delay)
        self.model = str(model)
        self.tokenizer = None if skip_tokenizer_init else object()
        self.dtype = dtype
        self.kv_cache_config = kv or KvCacheConfig()
        self.max_num_tokens = kwargs.get("max_num_tokens") or 8192
        self.enable_chunked_prefill = bool(kwargs.get("enable_chunked_prefill", False))
        self.args = dict(kwargs, model=str(model), skip_tokenizer_init=skip_tokenizer_init, trust_remote_code=trust_remote_code, dtype=dtype)
        self._shutdown = False
        self._next_request_id = 0
        self._fail_on = _calls_from("PIE_TRTLLM_SIMULATE_FAIL_CALLS")
        self._abort_on = _calls_from("PIE_TRTLLM_SIMULATE_ABORT_CALLS")
        self._generate_delay = float(os.environ.get("PIE_TRTLLM_SIMULATE_GENERATE_SECONDS", "0") or 0)
        self.calls = 0
        self.generated_tokens = 0

    def generate(self, inputs, sampling_params=None, use_tqdm=True, lora_request=None, prompt_adapter_request=None,
                 kv_cache_retention_config=None, disaggregated_params=None, scheduling_params=None, cache_salt=None):
        if self._shutdown:
            raise RuntimeError("LLM is shutting down")
        if isinstance(inputs, tuple):
            raise TypeError("Invalid type of inputs for llm.generate: %s" % type(inputs))
        batched = isinstance(inputs, list) and bool(inputs) and not isinstance(inputs[0], int)
        prompts = inputs if batched else [inputs]
        self.calls += 1
        if self._generate_delay:
            time.sleep(self._generate_delay)  # lets tests hold a batch in flight
        if self.calls in self._fail_on:
            raise RuntimeError("simulated engine failure on generate call %d" % self.calls)
        if self.calls in self._abort_on:
            # A fatal device error takes the whole process down, as a CUDA fault does.
            sys.stderr.write("simulated fatal CUDA error: an illegal memory access was encountered (generate call %d)\n" % self.calls)
            sys.stderr.flush()
            os._exit(134)
        outputs = []
        for i, prompt in enumerate(prompts):
            tokens = self._prompt_tokens(prompt)
            params = sampling_params[i] if isinstance(sampling_params, list) else sampling_params
            if params is None:
                params = SamplingParams()
            if not isinstance(params, SamplingParams):
                raise TypeError("sampling_params must be SamplingParams or a list of them, got %s" % type(params))
            if params.end_id is None:
                if self.tokenizer is None:
                    raise ValueError("tokenizer is required to reset end_id if it is None, or you can explicitly specify the end_id for sampling_params")
                params.end_id = SIMULATED_MODEL["end_id"]
            salt = cache_salt[i] if isinstance(cache_salt, list) else cache_salt
            if salt is not None and not isinstance(salt, str):
                raise TypeError("cache_salt must be a str or a list of str, got %r" % (salt,))
            if not self.enable_chunked_prefill and len(tokens) > self.max_num_tokens:
                raise ValueError("The sum of prompt length (%d) should not exceed max_num_tokens (%d)" % (len(tokens), self.max_num_tokens))
            outputs.append(self._run(tokens, params))
        return outputs if batched else outputs[0]

    @staticmethod
    def _prompt_tokens(prompt):
        if isinstance(prompt, dict):
            if "prompt_token_ids" not in prompt and "prompt" not in prompt:
                raise AssertionError("prompt dict needs 'prompt' or 'prompt_token_ids'")
            prompt = prompt.get("prompt_token_ids", prompt.get("prompt"))
        if isinstance(prompt, str):
            raise ValueError("the simulated TensorRT-LLM has no tokenizer: send token ids")
        if not isinstance(prompt, list) or not prompt or not isinstance(prompt[0], int):
            raise AssertionError("a token prompt must be a non-empty list of ints")
        # TensorRT-LLM checks the first element in Python and the rest on the device; the model
        # here reads only the last token, so that is the one whose range matters.
        last = prompt[-1]
        if not isinstance(last, int) or not 0 <= last < VOCAB:
            raise ValueError("token id %r is outside the vocabulary (0..%d)" % (last, VOCAB - 1))
        return prompt

    def _run(self, prompt, params):
        generated = []
        greedy = params.is_greedy()
        finish = "length"
        last, length = prompt[-1], len(prompt)
        history = None if greedy else list(prompt)
        for step in range(params.max_tokens):
            token = greedy_next(last, length) if greedy else stochastic_next(history, params.seed, step, params.top_k)
            if token == params.end_id and not params.ignore_eos:
                finish = "stop"  # the end id is left out of the output, as TensorRT-LLM does
                break
            generated.append(token)
            last, length = token, length + 1
            if history is not None:
                history.append(token)
        self.generated_tokens += len(generated)
        self._next_request_id += 1
        return RequestOutput(self._next_request_id, prompt, [CompletionOutput(0, generated, finish)])

    def shutdown(self):
        self._shutdown = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()
        return False

    def __getstate__(self):
        raise RuntimeError("LLM object can not be pickled.")
