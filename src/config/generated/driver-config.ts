/* Generated from schema/*.schema.json by scripts/generate-types.mjs. Do not edit; run `npm run gen:types`. */

/**
 * The `[model.driver]` table of a Pie model served by the TensorRT-LLM driver (`type = "tensorrt_llm"`).
 */
export interface TensorRtLlmDriverTable {
  /**
   * Driver type. `tensorrt_llm` is canonical; `tensorrt-llm` and `trtllm` are aliases Pie also accepts. Required.
   */
  type: 'tensorrt_llm' | 'tensorrt-llm' | 'trtllm';
  /**
   * Device or devices, e.g. `"cuda:0"` or `["cuda:0", "cuda:1"]`. Each group of tensor_parallel_size × options.pipeline_parallel_size devices (one device by default) gets its own runtime process (a data-parallel replica). Required; a list must not be empty, and each entry names one device, once.
   *
   * @minItems 1
   */
  device: string | string[];
  /**
   * Tensor-parallel degree: the GPUs one model copy is split across. `device` is cut into contiguous groups of tensor_parallel_size × options.pipeline_parallel_size devices, one replica (one runtime process, TensorRT-LLM's own workers) per group; the product must divide the number of devices. Default: 1.
   */
  tensor_parallel_size?: number;
  /**
   * Activation dtype passed to `LLM(dtype=...)`; short aliases are normalised. Default: bfloat16.
   */
  activation_dtype?: 'bfloat16' | 'bf16' | 'float16' | 'fp16' | 'float32' | 'fp32' | 'auto';
  /**
   * Seed for stochastic requests that carry no seed of their own (seed 0); each step's seed is derived from it, the context and the position. Used only where the TensorRT-LLM sampler honours seeds (`llm_kwargs.sampler_type = "TRTLLMSampler"`); TensorRT-LLM 1.2.1's default sampler draws from one generator seeded 42. Default: 42.
   */
  random_seed?: number;
  /**
   * Pie's IPC wait profile: how long the host busy-waits for a reply before sleeping. Default: balanced.
   */
  ipc_profile?: 'latency' | 'balanced' | 'power';
  /**
   * Overrides the busy-wait window of `ipc_profile`, in microseconds. Default: unset (the profile's).
   */
  spin_budget_us?: number;
  options?: TensorRtLlmDriverOptions;
}
/**
 * Driver options of TensorRT-LLM. Unknown keys are rejected.
 */
export interface TensorRtLlmDriverOptions {
  /**
   * Python virtual environment whose `bin/python` runs the driver runtime (the folder, not the interpreter). Default: unset, so the interpreter comes from `$PIE_PYTHON`, `$VIRTUAL_ENV`, `$PIE_HOME/drivers.toml` or `python3` on `PATH`. Excludes `python`.
   */
  venv?: string;
  /**
   * Path of the Python interpreter that runs the driver runtime. Default: unset (see `venv`). Excludes `venv`.
   */
  python?: string;
  /**
   * Passed to `tensorrt_llm.LLM(trust_remote_code=...)`: lets the model repository run its own modelling code. Default: true.
   */
  trust_remote_code?: boolean;
  /**
   * Passed to `LLM(skip_tokenizer_init=...)`. Pie sends and receives token ids, so no tokenizer is needed; `end_id` and `pad_id` are then set on every request from the model config. Default: true.
   */
  skip_tokenizer_init?: boolean;
  /**
   * TensorRT-LLM backend (`LLM(backend=...)`). `tensorrt_llm.LLM` in 1.2.1 is the PyTorch LLM: only `pytorch` (the default when unset) and `_autodeploy` build it; any other value fails at load. `pyexecutor` mode requires `pytorch` or unset. A value in `llm_kwargs` wins.
   */
  backend?: 'pytorch' | '_autodeploy';
  /**
   * Attention backend of the PyTorch backend (`LLM(attn_backend=...)`), e.g. `TRTLLM` or `FLASHINFER`. Default: unset (TensorRT-LLM's default, `TRTLLM`). A value in `llm_kwargs` wins.
   */
  attn_backend?: string;
  /**
   * Passed to `LLM(enable_chunked_prefill=...)`: split long prompts across scheduler steps. Default: unset (TensorRT-LLM's default, false). A value in `llm_kwargs` wins.
   */
  enable_chunked_prefill?: boolean;
  /**
   * Longest sequence (prompt plus generated tokens) TensorRT-LLM plans for (`LLM(max_seq_len=...)`); also clamps the reported `max_model_len`. Default: unset (taken from the model config). Must be positive.
   */
  max_seq_len?: number;
  /**
   * Most requests TensorRT-LLM runs at once (`LLM(max_batch_size=...)`). The one capacity key Pie allows for this driver because it is passed to TensorRT-LLM. Default: unset (TensorRT-LLM's default, 2048).
   */
  max_batch_size?: number;
  /**
   * Most tokens TensorRT-LLM schedules in one engine iteration (`LLM(max_num_tokens=...)`). Default: unset (TensorRT-LLM's default, 8192).
   */
  max_num_tokens?: number;
  /**
   * Fraction of the GPU memory left free after the model loads that the KV cache may take; becomes `KvCacheConfig(free_gpu_memory_fraction=...)`. Default: unset (TensorRT-LLM's default, 0.9). Must lie in (0, 1): TensorRT-LLM's PyTorch KV cache manager asserts it is below 1. A `kv_cache_config` in `llm_kwargs` wins.
   */
  kv_cache_free_gpu_memory_fraction?: number;
  /**
   * Extra keyword arguments passed unchanged to `tensorrt_llm.LLM(...)`. Keys here win over the curated options above. TensorRT-LLM rejects unknown arguments at start-up; `backend` and `sampler_type` are checked here. Values nest at most 32 levels below `[model.driver]` (30 inside llm_kwargs), and no key may be `__proto__`, `constructor` or `prototype`. Default: empty.
   */
  llm_kwargs?: {[key: string]: unknown};
  /**
   * How the runtime drives TensorRT-LLM. `generate`: the public LLM API, `generate_async` (default). `pyexecutor`: TensorRT-LLM 1.2.1's private PyExecutor loop; needs exactly TensorRT-LLM 1.2.1 with the PyTorch backend and full replay histories.
   */
  execution_mode?: 'generate' | 'pyexecutor';
  /**
   * `pyexecutor` mode: the generation window of one TensorRT-LLM request before it is recreated. Default: 4096. Must be positive.
   */
  pyexecutor_max_tokens?: number;
  /**
   * `pyexecutor` mode: seconds to wait for TensorRT-LLM's background worker thread to stop at start-up. Default: 30. Must be positive.
   */
  pyexecutor_worker_stop_timeout_s?: number;
  /**
   * `pyexecutor` mode: generate several greedy tokens per engine step when the batch is full. Accepted for compatibility with Pie's driver. Default: false.
   */
  pyexecutor_lookahead?: boolean;
  /**
   * `pyexecutor` mode: the smallest batch for which `pyexecutor_lookahead` applies. Default: unset (the session capacity).
   */
  pyexecutor_lookahead_min_batch_size?: number;
  /**
   * `pyexecutor` mode: cap on the tokens one context may receive through direct acceptance. Default: unset (no cap).
   */
  pyexecutor_direct_token_limit?: number;
  /**
   * `pyexecutor` mode: the driver's own speculative lookahead. Accepted for compatibility; drafts sent by programs are still rejected with UNSUPPORTED_SPECULATION. Default: false.
   */
  pyexecutor_speculative_lookahead?: boolean;
  /**
   * Most requests in one forward batch, reported to Pie as `max_forward_requests`; also the most requests in flight to the runtime. Default: 128.
   */
  max_concurrent_requests?: number;
  /**
   * Most tokens in one forward batch, reported to Pie as `max_forward_tokens`. Default: 8192.
   */
  max_batched_tokens?: number;
  /**
   * Tokens per virtual KV page reported to Pie as `kv_page_size`. The pages are virtual: TensorRT-LLM owns the real KV cache. Default: 16.
   */
  virtual_kv_page_size?: number;
  /**
   * Virtual KV pages reported to Pie as `total_pages` and `max_page_refs`. Default: 65536.
   */
  virtual_total_pages?: number;
  /**
   * Most contexts whose replay history the runtime keeps (least recently used first out; an evicted context needs its full prefix again). Default: 65536.
   */
  max_session_histories?: number;
  /**
   * Most tokens kept per context history; older tokens are dropped, and a request that needs a dropped prefix is rejected with MISSING_REPLAY_PREFIX instead of sending a wrong prompt. Disables lookahead. Default: unset (full history). Must be unset in `pyexecutor` mode.
   */
  max_history_tokens?: number;
  /**
   * Pipeline-parallel degree, passed to TensorRT-LLM's LLM(...) with tensor_parallel_size; each replica spans tensor_parallel_size × pipeline_parallel_size devices of `device`, and the product must divide the number of devices. Default: 1.
   */
  pipeline_parallel_size?: number;
  /**
   * Greedy lookahead. 0 or 1: off (one engine request per token). Otherwise, with `lookahead_mode = "stream"` (the default), a context's stream is continued only while its program has at most this many of the stream's tokens still to take, so a program that pauses gets no more tokens computed ahead of it; with `lookahead_mode = "window"` (Pie's own design), the tokens each engine request generates, a step waiting for all of them. Default: 16. At most 16.
   */
  lookahead_tokens?: number;
  /**
   * How greedy lookahead runs ahead of a program. `stream`: a streaming TensorRT-LLM request per context, of `lookahead_stream_tokens` tokens, continued as it ends; a step is answered as soon as its token exists, and a batch waits only for its slowest context's next token. `window`: Pie's own design, kept for comparison: a miss requests `lookahead_tokens` tokens and waits for all of them. Default: stream.
   */
  lookahead_mode?: 'stream' | 'window';
  /**
   * `lookahead_mode = "stream"`: tokens one streaming request may generate (its `max_tokens`). TensorRT-LLM's default scheduler reserves KV cache for the prompt plus this many tokens while the request runs; each hand-over to a continuation costs the program about two engine iterations, so shorter streams cost more steps that wait (docs/performance.md has the measured trade-off). Default: 128. Between 2 and 4096.
   */
  lookahead_stream_tokens?: number;
  /**
   * Send `cache_salt` = the context id with every request so TensorRT-LLM reuses KV blocks only within a context. Default: true.
   */
  enable_cache_salt?: boolean;
  /**
   * Not accepted: `max_num_kv_pages` is rejected by Pie for subprocess drivers because drivers compute KV pages and scheduling capacity in capabilities. Remove it; the driver reports its capacity in its capability report.
   */
  max_num_kv_pages?: never;
  /**
   * Not accepted: `max_batch_tokens` is rejected by Pie for subprocess drivers because drivers compute KV pages and scheduling capacity in capabilities. Remove it; the driver reports its capacity in its capability report.
   */
  max_batch_tokens?: never;
  /**
   * Not accepted: `linear_attn_max_slots` is rejected by Pie for subprocess drivers because drivers compute KV pages and scheduling capacity in capabilities. Remove it; the driver reports its capacity in its capability report.
   */
  linear_attn_max_slots?: never;
  /**
   * Not accepted: `total_pages` is rejected by Pie for subprocess drivers because drivers compute KV pages and scheduling capacity in capabilities. Remove it; the driver reports its capacity in its capability report.
   */
  total_pages?: never;
  /**
   * Not accepted: `cpu_pages` is rejected by Pie for subprocess drivers because drivers compute KV pages and scheduling capacity in capabilities. Remove it; the driver reports its capacity in its capability report.
   */
  cpu_pages?: never;
  /**
   * Not accepted: `max_forward_tokens` is rejected by Pie for subprocess drivers because drivers compute KV pages and scheduling capacity in capabilities. Remove it; the driver reports its capacity in its capability report.
   */
  max_forward_tokens?: never;
  /**
   * Not accepted: `max_forward_requests` is rejected by Pie for subprocess drivers because drivers compute KV pages and scheduling capacity in capabilities. Remove it; the driver reports its capacity in its capability report.
   */
  max_forward_requests?: never;
  /**
   * Not accepted: `max_num_seqs` is rejected by Pie for subprocess drivers because drivers compute KV pages and scheduling capacity in capabilities. Remove it; the driver reports its capacity in its capability report.
   */
  max_num_seqs?: never;
  /**
   * Not accepted: `max_num_batched_tokens` is rejected by Pie for subprocess drivers because drivers compute KV pages and scheduling capacity in capabilities. Remove it; the driver reports its capacity in its capability report.
   */
  max_num_batched_tokens?: never;
  /**
   * Not accepted: `max_running_requests` is rejected by Pie for subprocess drivers because drivers compute KV pages and scheduling capacity in capabilities. Remove it; the driver reports its capacity in its capability report.
   */
  max_running_requests?: never;
  /**
   * Not accepted: `max_total_tokens` is rejected by Pie for subprocess drivers because drivers compute KV pages and scheduling capacity in capabilities. Remove it; the driver reports its capacity in its capability report.
   */
  max_total_tokens?: never;
}

/** Keys of the [model.driver] table that have a schema default. */
export type DefaultedDriverKey = 'tensor_parallel_size' | 'activation_dtype' | 'random_seed' | 'ipc_profile';
/** Keys of [model.driver.options] that have a schema default. */
export type DefaultedOptionKey = 'trust_remote_code' | 'skip_tokenizer_init' | 'llm_kwargs' | 'execution_mode' | 'pyexecutor_max_tokens' | 'pyexecutor_worker_stop_timeout_s' | 'pyexecutor_lookahead' | 'pyexecutor_speculative_lookahead' | 'max_concurrent_requests' | 'max_batched_tokens' | 'virtual_kv_page_size' | 'virtual_total_pages' | 'max_session_histories' | 'pipeline_parallel_size' | 'lookahead_tokens' | 'lookahead_mode' | 'lookahead_stream_tokens' | 'enable_cache_salt';
