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
   * TensorRT-LLM backend (`LLM(backend=...)`). `tensorrt_llm.LLM` in 1.2.1 is the PyTorch LLM: only `pytorch` (the default when unset) and `_autodeploy` build it; any other value fails at load. A value in `llm_kwargs` wins.
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
   * Longest sequence (prompt plus generated tokens) TensorRT-LLM plans for (`LLM(max_seq_len=...)`); also clamps the reported `max_model_len`. A step whose prefix leaves no room for its token (a prefix of max_model_len or more) is refused with INVALID_REQUEST, in every lookahead mode. Default: unset (taken from the model config). Must be positive.
   */
  max_seq_len?: number;
  /**
   * Most requests TensorRT-LLM runs at once (`LLM(max_batch_size=...)`). The one capacity key Pie allows for this driver because it is passed to TensorRT-LLM. Default: unset (TensorRT-LLM's default, 2048).
   */
  max_batch_size?: number;
  /**
   * Most tokens TensorRT-LLM schedules in one engine iteration (`LLM(max_num_tokens=...)`). Without chunked prefill TensorRT-LLM refuses a longer prompt, so a step whose prefix is longer is refused with INVALID_REQUEST, in every lookahead mode (a stream makes no token past it). Default: unset (TensorRT-LLM's default, 8192).
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
   * Pie's execution modes. `generate` (default): TensorRT-LLM's public LLM API. `pyexecutor`: in Pie, its private PyExecutor loop, so that each context's KV cache stays resident across decode steps; here the same end is reached through the public API, by streams (greedy and sampling alike) whose requests `pyexecutor_max_tokens` caps, so any TensorRT-LLM 1.2.x serves it. `max_history_tokens` and `lookahead_mode = "window"` must be unset with it.
   */
  execution_mode?: 'generate' | 'pyexecutor';
  /**
   * `execution_mode = "pyexecutor"`: the most tokens one stream request may generate (Pie: the generation window of one TensorRT-LLM request before it is recreated); a stream starts at 32 (or this, if fewer) and is continued for this many while its program keeps up. Has no effect in generate mode. Default: 4096. Must be positive.
   */
  pyexecutor_max_tokens?: number;
  /**
   * `execution_mode = "pyexecutor"`. Pie: seconds to wait for TensorRT-LLM's background worker thread to stop, so its private loop can be driven. No private loop is driven here: accepted so a Pie pie.toml keeps working, without effect (validate says so). Default: 30. Must be positive.
   */
  pyexecutor_worker_stop_timeout_s?: number;
  /**
   * `execution_mode = "pyexecutor"`. Pie: generate several greedy tokens per engine step when the batch is full. Streams run ahead of every program here at any batch size: accepted for compatibility, without effect (validate says so). Default: false.
   */
  pyexecutor_lookahead?: boolean;
  /**
   * `execution_mode = "pyexecutor"`. Pie: the smallest batch for which `pyexecutor_lookahead` applies. Accepted for compatibility, without effect (validate says so). Default: unset (the session capacity).
   */
  pyexecutor_lookahead_min_batch_size?: number;
  /**
   * `execution_mode = "pyexecutor"`. Pie: cap on the tokens one context may receive through direct acceptance (several tokens in one step). Each step gets exactly one token here: accepted for compatibility, without effect (validate says so). Default: unset (no cap).
   */
  pyexecutor_direct_token_limit?: number;
  /**
   * `execution_mode = "pyexecutor"`. Pie: the driver's own speculative lookahead (drafts offered to programs). No drafts are offered here, and drafts sent by programs are rejected with UNSUPPORTED_SPECULATION: accepted for compatibility, without effect (validate says so). Default: false.
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
   * Lookahead: how far the engine runs ahead of a program. 0 or 1: off in generate mode (one engine request per token). Otherwise, with `lookahead_mode = "stream"` (the default), greedy and unseeded sampling steps are served from a streaming request per context, continued once its program has at most min(this, 4) of the stream's tokens still to take, so a program that pauses gets no more tokens computed ahead of it; with `lookahead_mode = "window"` (Pie's own design), the tokens each engine request generates for a greedy context, a step waiting for all of them. Default: 16. At most 16.
   */
  lookahead_tokens?: number;
  /**
   * How lookahead runs ahead of a program. `stream`: a streaming TensorRT-LLM request per context under the step's sampler (greedy, or sampling when the configured sampler reads no seed, as TorchSampler does), its first request 32 tokens, each continuation `lookahead_stream_tokens` while the program keeps up with it; a step is answered as soon as its token exists, and a batch waits only for its slowest context's next token. `window`: Pie's own design, kept for comparison: a greedy miss requests `lookahead_tokens` tokens and waits for all of them; sampling steps get one request per token. Default: stream.
   */
  lookahead_mode?: 'stream' | 'window';
  /**
   * `lookahead_mode = "stream"`: the most tokens one streaming request may generate (its `max_tokens`). A stream's first request asks for 32 (or this, if fewer); a continuation asks for this many when its program kept up with the request before (within 4 tokens of its end when it ended), else as many as the stream has made so far (32 at least, this at most). TensorRT-LLM's default scheduler reserves KV cache for the prompt plus `max_tokens` while a request runs; each hand-over to a continuation can cost a program a step of two or three engine iterations, so a lower cap costs more hand-overs on long programs (docs/performance.md has the measured trade-off). With `execution_mode = "pyexecutor"`, `pyexecutor_max_tokens` sets it instead (validate warns when both are set). Default: 128. Between 2 and 4096.
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
