/* Generated from schema/*.schema.json by scripts/generate-types.mjs. Do not edit; run `npm run gen:types`. */

/**
 * Messages between the TypeScript driver and the Python runtime. Each travels as one frame: a 4-byte little-endian length, then UTF-8 JSON. The forward batch uses Pie's ForwardRequest field names; `serve --stdio` speaks the same requests as JSON lines.
 */
export type WireMessages = RuntimeRequest | RuntimeReply | HandshakeLine;
export type RuntimeRequest = ForwardMessage | ReleaseMessage | ForkMessage | SimpleMessage;
/**
 * One Pie sampler. Greedy is top_p with temperature 0 and p 1.
 */
export type Sampler =
  | MultinomialSampler
  | TopKSampler
  | TopPSampler
  | MinPSampler
  | TopKTopPSampler
  | EmbeddingSampler
  | DistSampler
  | RawLogitsSampler
  | LogprobSampler
  | LogprobsSampler
  | EntropySampler;
/**
 * One request's outcome on the runtime wire: its sampled tokens (empty for prefill only) or an error.
 */
export type RuntimeResult = number[] | ErrorResult;

export interface ForwardMessage {
  id: number;
  op: 'forward';
  batch: ForwardBatch | PackedForwardBatch | IndexedForwardBatch;
}
export interface ForwardBatch {
  /**
   * tokens of every request, concatenated
   */
  token_ids: number[];
  /**
   * absolute position of each token
   */
  position_ids: number[];
  /**
   * request r owns tokens qo_indptr[r]..qo_indptr[r+1] (R+1 entries)
   */
  qo_indptr: number[];
  /**
   * the context of each request (R entries)
   */
  context_ids: number[];
  samplers?: Sampler[];
  /**
   * R+1 entries
   */
  sampler_indptr?: number[];
  /**
   * sample positions, relative to the request
   */
  sampling_indices?: number[];
  /**
   * R+1 entries
   */
  sampling_indptr?: number[];
  masks?: number[][];
  /**
   * R+1 entries
   */
  mask_indptr?: number[];
  logit_masks?: number[][];
  /**
   * R+1 entries
   */
  logit_mask_indptr?: number[];
  adapter_bindings?: AdapterBinding[];
  /**
   * draft tokens to verify
   */
  spec_token_ids?: number[];
  /**
   * draft positions
   */
  spec_position_ids?: number[];
  /**
   * R+1 entries
   */
  spec_indptr?: number[];
  /**
   * image spans per request (R+1 entries)
   */
  image_indptr?: number[];
  /**
   * audio spans per request (R+1 entries)
   */
  audio_indptr?: number[];
  has_user_mask?: boolean;
  single_token_mode?: boolean;
}
export interface MultinomialSampler {
  type: 'multinomial';
  temperature: number;
  /**
   * 0 = derive from the driver's random_seed
   */
  seed: number;
}
export interface TopKSampler {
  type: 'top_k';
  temperature: number;
  k: number;
}
export interface TopPSampler {
  type: 'top_p';
  temperature: number;
  p: number;
}
export interface MinPSampler {
  type: 'min_p';
  temperature: number;
  p: number;
}
export interface TopKTopPSampler {
  type: 'top_k_top_p';
  temperature: number;
  k: number;
  p: number;
}
export interface EmbeddingSampler {
  type: 'embedding';
}
export interface DistSampler {
  type: 'dist';
  temperature: number;
  num_tokens: number;
}
export interface RawLogitsSampler {
  type: 'raw_logits';
}
export interface LogprobSampler {
  type: 'logprob';
  token_id: number;
}
export interface LogprobsSampler {
  type: 'logprobs';
  token_ids: number[];
}
export interface EntropySampler {
  type: 'entropy';
}
export interface AdapterBinding {
  /**
   * -1 = no adapter
   */
  adapter_id: number;
  seed?: number;
}
/**
 * The forward batch as the driver sends it to its runtime: integer arrays packed as base64 of little-endian integers, and each distinct sampler once.
 */
export interface PackedForwardBatch {
  packed: {
    /**
     * u32 per token
     */
    token_ids: string;
    /**
     * u32 per token
     */
    position_ids: string;
    /**
     * u32, R+1 entries; absent when every request has exactly one token
     */
    qo_indptr?: string;
    /**
     * u64 per request
     */
    context_ids: string;
    /**
     * i32 per request: index into sampler_table, -1 for none; absent when every request uses sampler_table[0]
     */
    sampler_index?: string;
  };
  /**
   * the distinct samplers of the batch
   */
  sampler_table: Sampler[];
}
/**
 * A small forward batch as the driver sends it to its runtime: plain arrays, each distinct sampler once and each request's index into them.
 */
export interface IndexedForwardBatch {
  /**
   * tokens of every request, concatenated
   */
  token_ids: number[];
  /**
   * absolute position of each token
   */
  position_ids: number[];
  /**
   * R+1 entries
   */
  qo_indptr: number[];
  /**
   * R entries
   */
  context_ids: number[];
  /**
   * the distinct samplers of the batch
   */
  sampler_table: Sampler[];
  /**
   * per request: index into sampler_table, -1 for none
   */
  sampler_index: number[];
}
export interface ReleaseMessage {
  id: number;
  op: 'release';
  /**
   * contexts to free
   */
  context_ids: number[];
}
export interface ForkMessage {
  id: number;
  op: 'fork';
  parent: number;
  child: number;
  length: number;
}
export interface SimpleMessage {
  id: number;
  op: 'capabilities' | 'status' | 'shutdown';
}
export interface RuntimeReply {
  id: number | null;
  results?: RuntimeResult[];
  ok?: boolean;
  released?: number;
  capabilities?: Capabilities;
  status?: RuntimeStatus;
  error?: WireError;
  /**
   * forward, when every request of a large batch got exactly one token: those tokens, packed as little-endian u32, in request order (instead of `results`)
   */
  tokens?: string;
  /**
   * contexts the runtime evicted (max_session_histories) while handling this message; the driver forgets them too
   */
  evicted?: number[];
}
export interface ErrorResult {
  error: WireError;
}
export interface WireError {
  /**
   * A stable code (README, Error codes).
   */
  code: string;
  message: string;
}
export interface Capabilities {
  total_pages: number;
  kv_page_size: number;
  swap_pool_size: number;
  max_forward_tokens: number;
  max_forward_requests: number;
  max_page_refs: number;
  max_logit_rows: number;
  max_prob_rows: number;
  max_custom_mask_bytes: number;
  max_sampler_rows: number;
  max_logprob_labels: number;
  vocab_size: number;
  max_model_len: number;
  rs_cache_slots?: number;
  rs_cache_slot_bytes?: number;
  arch_name: string;
  activation_dtype: string;
  snapshot_dir?: string;
  rs_cache_required?: boolean;
  supports_user_attention_mask: boolean;
  supports_adapters: boolean;
  /**
   * The TensorRT-LLM sampler that draws stochastic tokens (`llm_kwargs.sampler_type`; `auto` is TorchSampler).
   */
  sampler_type?: 'TorchSampler' | 'TRTLLMSampler';
  /**
   * Whether a stochastic request's seed is honoured (reproducible draws). TensorRT-LLM 1.2.1's TorchSampler draws every request from one generator seeded 42: false.
   */
  supports_seeded_sampling?: boolean;
  /**
   * Whether min_p sampling is applied. TensorRT-LLM 1.2.1's TorchSampler does not read min_p: false.
   */
  supports_min_p?: boolean;
  [k: string]: unknown;
}
export interface RuntimeStatus {
  pid: number;
  engine?: {
    name: string;
    version: string;
  };
  /**
   * Engine requests submitted (`generate_async` calls): one per stream window and per one-token request.
   */
  engine_calls: number;
  /**
   * Tokens the engine delivered, including those of streams the programs left.
   */
  engine_tokens?: number;
  /**
   * Tokens the engine delivered to streams (greedy or sampling) that their programs left (diverged, changed sampler, released, evicted) without taking them.
   */
  engine_tokens_wasted?: number;
  /**
   * The KV cache's blocks at TensorRT-LLM's latest iteration statistics (LLM.get_stats, kvCacheStats); null when the engine makes none (llm_kwargs.enable_iter_perf_stats is off) or has run no request yet.
   */
  kv_cache?: null | {
    used_blocks: number;
    free_blocks: number;
    max_blocks: number;
    tokens_per_block: number;
  };
  tokens_generated: number;
  /**
   * Steps served from a stream (greedy or sampling) with a token the engine had made already.
   */
  lookahead_hits?: number;
  /**
   * Steps served from a stream (greedy or sampling) that waited for their token to be made.
   */
  stream_waits?: number;
  /**
   * Of lookahead_hits, the steps of stochastic samplers.
   */
  sampling_hits?: number;
  /**
   * Of stream_waits, the steps of stochastic samplers.
   */
  sampling_waits?: number;
  /**
   * Streams started, greedy or sampling (a new context, a program that left its stream: its own token or another sampler).
   */
  streams_started?: number;
  /**
   * Of streams_started, those of stochastic samplers.
   */
  sampling_streams_started?: number;
  /**
   * `generate`, or Pie's `pyexecutor`, which streams serve through the public API.
   */
  execution_mode?: 'generate' | 'pyexecutor';
  /**
   * Stream requests that continued a stream whose previous request had ended.
   */
  continuations?: number;
  /**
   * How lookahead runs: `stream` (greedy and unseeded sampling steps from streams), `window` (greedy only) or `off`.
   */
  lookahead_mode?: 'stream' | 'window' | 'off';
  /**
   * Decode steps answered from the answer worked out after the previous reply (the batch came exactly as expected).
   */
  anticipated_steps?: number;
  /**
   * Ranks of this replica's engine: tensor_parallel_size × pipeline_parallel_size as passed to LLM(...).
   */
  world_size?: number;
  contexts?: number;
  evictions?: number;
  resident_bytes?: number | null;
  simulated_engine?: {} | null;
  [k: string]: unknown;
}
export interface HandshakeLine {
  capabilities?: Capabilities;
  pid?: number;
  engine?: {
    name: string;
    version: string;
  };
  ready?: boolean;
  error?: WireError;
}
