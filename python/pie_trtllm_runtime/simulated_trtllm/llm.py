"""`tensorrt_llm.LLM` of 1.2.1 with its argument checks and process model, over a deterministic model."""

import os
import sys
import time

from .api import API, LLM_KWARGS, PYTORCH_BACKENDS, SAMPLER_TYPES, TRT_ONLY_KWARGS
from .devices import check_devices
from .executor_workers import ExecutorWorkers, single_process
from .kv_cache_config import KvCacheConfig
from .in_flight_batcher import EngineRequest, InFlightBatcher
from .iteration_clock import IterationClock
from .iteration_stats import IterationStatistics
from .model import VOCAB, GreedyTokens, SampledTokens, TorchSamplerDraws, TrtllmSamplerDraws, rule_from_environment
from .outputs import RequestOutput
from .request_ledger import RequestRecord, new_ledger, sampling_fields
from .sampling_params import SamplingParams

SIMULATED_MODEL = {
    "arch_name": "SimulatedForCausalLM",
    "vocab_size": VOCAB,
    "max_model_len": 131072,
    "end_id": 2,
    "pad_id": 0,
}

_DTYPES = frozenset(("auto", "float16", "bfloat16", "float32"))
_LATER_KWARGS = frozenset(API["later_than_1_2_1"]["llm_kwargs"])


def _calls_from(variable):
    """Generate call numbers listed in an environment variable (fault injection for tests)."""
    spec = os.environ.get(variable, "")
    return frozenset(int(x) for x in spec.split(",") if x.strip())


def _check_arguments(kwargs):
    trt_only = sorted(set(kwargs) & TRT_ONLY_KWARGS)
    if trt_only:
        raise ValueError(
            "The following arguments are specific to the TensorRT backend and cannot be used with the PyTorch backend: %s. "
            "Use tensorrt_llm._tensorrt_engine.LLM instead." % trt_only
        )
    for key in kwargs:
        if key not in LLM_KWARGS:
            later = " (it appeared after TensorRT-LLM 1.2.1)" if key in _LATER_KWARGS else ""
            raise ValueError("LLM got invalid argument: %s%s" % (key, later))
    if "backend" in kwargs and kwargs["backend"] not in PYTORCH_BACKENDS:
        raise ValueError(
            "backend=%r selects TrtLlmArgs, which tensorrt_llm.LLM (the PyTorch LLM) cannot build; "
            "leave backend unset or use 'pytorch'" % (kwargs["backend"],)
        )
    sampler_type = kwargs.get("sampler_type", "auto")
    if sampler_type not in SAMPLER_TYPES:
        raise ValueError("1 validation error for TorchLlmArgs\nsampler_type\n  Input should be %s, got %r"
                         % (", ".join(repr(s) for s in SAMPLER_TYPES), sampler_type))
    for key in ("max_batch_size", "max_num_tokens", "max_seq_len"):
        value = kwargs.get(key)
        if value is not None and (not isinstance(value, int) or value <= 0):
            raise ValueError("%s must be a positive integer, got %r" % (key, value))


class LLM:
    def __init__(self, model, tokenizer=None, tokenizer_mode="auto", skip_tokenizer_init=False, trust_remote_code=False,
                 tensor_parallel_size=1, dtype="auto", revision=None, tokenizer_revision=None, **kwargs):
        _check_arguments(kwargs)
        if not isinstance(model, (str, os.PathLike)):
            raise TypeError("model must be a str or Path, got %r" % (model,))
        if dtype not in _DTYPES:
            raise ValueError("Unsupported dtype %r" % (dtype,))
        world_size = tensor_parallel_size * int(kwargs.get("pipeline_parallel_size", 1) or 1) * int(kwargs.get("context_parallel_size", 1) or 1)
        check_devices(world_size, kwargs.get("gpus_per_node"))
        if kwargs.get("orchestrator_type") == "ray":
            import ray  # noqa: F401  (the Ray executor needs it, as the real one does)
        kv = kwargs.get("kv_cache_config")
        if isinstance(kv, dict):
            kv = KvCacheConfig(**kv)
        elif kv is not None and not isinstance(kv, KvCacheConfig):
            raise ValueError("kv_cache_config must be a KvCacheConfig, got %r" % (kv,))
        self.kv_cache_config = kv or KvCacheConfig()
        self.rule = rule_from_environment()
        self._shutdown = False
        self.sampler_type = "TRTLLMSampler" if kwargs.get("sampler_type") == "TRTLLMSampler" else "TorchSampler"
        self._workers = None if single_process() and world_size == 1 else ExecutorWorkers(world_size)
        try:
            self._load(kwargs)
        except BaseException:
            self.shutdown()
            raise
        self.model = str(model)
        self.tokenizer = None if skip_tokenizer_init else object()
        self.dtype = dtype
        self.max_num_tokens = kwargs.get("max_num_tokens") or 8192
        # The executor's max_seq_len: the model's length, clamped by max_seq_len.
        self.max_seq_len = min(SIMULATED_MODEL["max_model_len"], kwargs.get("max_seq_len") or SIMULATED_MODEL["max_model_len"])
        self.max_tokens_clamped = 0  # requests whose max_tokens ran past max_seq_len (1.2.x warns and clamps)
        self.enable_chunked_prefill = bool(kwargs.get("enable_chunked_prefill", False))
        self.args = dict(kwargs, model=str(model), skip_tokenizer_init=skip_tokenizer_init, trust_remote_code=trust_remote_code, dtype=dtype)
        self._draws = TrtllmSamplerDraws() if self.sampler_type == "TRTLLMSampler" else TorchSamplerDraws()
        self._next_request_id = 0
        self._fail_on = _calls_from("PIE_TRTLLM_SIMULATE_FAIL_CALLS")
        self._abort_on = _calls_from("PIE_TRTLLM_SIMULATE_ABORT_CALLS")
        self._generate_delay = float(os.environ.get("PIE_TRTLLM_SIMULATE_GENERATE_SECONDS", "0") or 0)
        self.calls = 0
        self.ledger = new_ledger()  # RequestRecords when PIE_TRTLLM_SIMULATE_LEDGER is set (tests)
        self._iteration_statistics = IterationStatistics(kwargs.get("enable_iter_perf_stats", False), kwargs.get("max_stats_len", 1000),
                                                         self.kv_cache_config.tokens_per_block, self.kv_cache_config.max_tokens)
        self._batcher = InFlightBatcher(IterationClock.from_environment(), overlap=not kwargs.get("disable_overlap_scheduler", False),
                                        stream_interval=kwargs.get("stream_interval", 1), iteration_statistics=self._iteration_statistics)

    def _load(self, kwargs):
        """What the executor does once its workers are up: size the KV cache, load the weights."""
        fraction = self.kv_cache_config.free_gpu_memory_fraction
        if fraction is not None and fraction >= 1.0:
            # PyTorch KVCacheManager: `assert free_gpu_memory_fraction < 1.0`
            raise AssertionError("Invalid freeGpuMemoryFraction, free_gpu_memory_fraction must be < 1.0, got %r" % fraction)
        if fraction is not None and fraction <= 0:
            raise RuntimeError("the KV cache gets no memory (free_gpu_memory_fraction = %r), so no sequence fits" % fraction)
        delay = float(os.environ.get("PIE_TRTLLM_SIMULATE_LOAD_SECONDS", "0") or 0)
        if delay > 0:
            time.sleep(delay)
        # A load that lasts while a file exists: tests hold a restart mid-load, then let it go.
        hold = os.environ.get("PIE_TRTLLM_SIMULATE_LOAD_HOLD_FILE")
        while hold and os.path.exists(hold):
            time.sleep(0.05)

    @property
    def world_size(self):
        return 1 if self._workers is None else self._workers.world_size

    def generate_async(self, inputs, sampling_params=None, lora_request=None, prompt_adapter_request=None, streaming=False,
                       kv_cache_retention_config=None, disaggregated_params=None, _postproc_params=None,
                       scheduling_params=None, cache_salt=None):
        """One request into the executor; its `RequestOutput` fills as the executor runs it."""
        if self._shutdown:
            raise RuntimeError("LLM is shutting down")
        if self._workers is not None:
            self._workers.check_alive()
        tokens = self._prompt_tokens(inputs)
        params = SamplingParams() if sampling_params is None else sampling_params
        if not isinstance(params, SamplingParams):
            raise TypeError("sampling_params must be SamplingParams, got %s" % type(params))
        if params.end_id is None:
            if self.tokenizer is None:
                raise ValueError("tokenizer is required to reset end_id if it is None, or you can explicitly specify the end_id for sampling_params")
            params.end_id = SIMULATED_MODEL["end_id"]
        if cache_salt is not None and not isinstance(cache_salt, str):
            raise TypeError("cache_salt must be a str, got %r" % (cache_salt,))
        if not self.enable_chunked_prefill and len(tokens) > self.max_num_tokens:
            raise ValueError("The sum of prompt length (%d) should not exceed max_num_tokens (%d)" % (len(tokens), self.max_num_tokens))
        self.calls += 1
        if self._generate_delay:
            time.sleep(self._generate_delay)  # lets tests hold a request in flight
        if self.calls in self._fail_on:
            raise RuntimeError("simulated engine failure on request %d" % self.calls)
        if self.calls in self._abort_on:
            # A fatal device error takes the whole process down, as a CUDA fault does.
            sys.stderr.write("simulated fatal CUDA error: an illegal memory access was encountered (request %d)\n" % self.calls)
            sys.stderr.flush()
            os._exit(134)
        # BaseWorker._deduce_max_tokens: a prompt that leaves no room is refused; a max_tokens past
        # the room left is clamped to it, with a warning.
        room = self.max_seq_len - len(tokens)
        if room <= 0:
            raise ValueError("`default_max_tokens` (%d) must be greater than 0, `default_max_tokens` (%d) = max_seq_len (%d) - `splited_prompt_len` (%d) - `query_token_len` (0)"
                             % (room, room, self.max_seq_len, len(tokens)))
        max_tokens = params.max_tokens
        if max_tokens is None:
            max_tokens = room
        elif max_tokens > room:
            self.max_tokens_clamped += 1
            max_tokens = room
        self._next_request_id += 1
        result = RequestOutput(self._next_request_id, tokens, streaming, self)
        request = EngineRequest(result, len(tokens), max_tokens, streaming, self._token_source(tokens, params),
                                None if params.ignore_eos else params.end_id)
        result._engine_request = request
        if self.ledger is not None:
            self.ledger.append(RequestRecord(self._next_request_id, tokens, params.max_tokens, streaming, sampling_fields(params), cache_salt, result, request))
        self._iteration_statistics.submitted()
        self._batcher.submit(request)
        return result

    def generate(self, inputs, sampling_params=None, use_tqdm=True, lora_request=None, prompt_adapter_request=None,
                 kv_cache_retention_config=None, disaggregated_params=None, scheduling_params=None, cache_salt=None):
        """As 1.2.1: one `generate_async` per prompt (a list argument gives the i-th prompt its
        i-th entry), every request submitted before the first result is waited for."""
        if isinstance(inputs, tuple):
            raise TypeError("Invalid type of inputs for llm.generate: %s" % type(inputs))
        batched = isinstance(inputs, list) and bool(inputs) and not isinstance(inputs[0], int)
        prompts = inputs if batched else [inputs]

        def item(value, i):
            return value[i] if isinstance(value, list) else value

        futures = [self.generate_async(prompt, sampling_params=item(sampling_params, i), cache_salt=item(cache_salt, i),
                                       scheduling_params=item(scheduling_params, i))
                   for i, prompt in enumerate(prompts)]
        outputs = [future.result() for future in futures]
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
        # TensorRT-LLM checks the first element in Python and the rest on the device; an id
        # outside the vocabulary is the device's error.
        last = prompt[-1]
        if not isinstance(last, int) or not 0 <= last < VOCAB:
            raise ValueError("token id %r is outside the vocabulary (0..%d)" % (last, VOCAB - 1))
        return prompt

    def _token_source(self, tokens, params):
        """The request's tokens: greedy by the model's rule, else draws from the configured sampler."""
        if params.is_greedy():
            return GreedyTokens(tokens, self.rule)
        return SampledTokens(tokens, self.rule, self._draws, params)

    def get_stats(self, timeout=2):
        """`LLM.get_stats`: the iteration statistics queued since the last call (see iteration_stats)."""
        return self._iteration_statistics.get(timeout)

    def abort_request(self, result):
        """`GenerationExecutor.abort_request`: the cancel reaches the executor's next iteration."""
        self._batcher.cancel(result._engine_request)

    def shutdown(self):
        self._shutdown = True
        batcher = getattr(self, "_batcher", None)
        if batcher is not None:
            batcher.shutdown()
        workers, self._workers = getattr(self, "_workers", None), None
        if workers is not None:
            workers.shutdown()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()
        return False

    def __getstate__(self):
        raise RuntimeError("LLM object can not be pickled.")


def simulation_statistics(llm):
    """What the simulated engine counted: an explicit interface, so `status` never guesses."""
    if not isinstance(llm, LLM):
        raise TypeError("simulation_statistics needs a simulated LLM, got %s" % type(llm).__name__)
    statistics = llm._batcher.statistics
    return {"calls": llm.calls, "generated_tokens": statistics.delivered_tokens, "world_size": llm.world_size,
            "sampler_type": llm.sampler_type, "greedy_rule": llm.rule, "executor": statistics.as_dict()}
