/**
 * Every numeric setting of `[model.driver]` with its bounds, written by hand from what Pie and
 * TensorRT-LLM state, independent of schema/driver.schema.json: the schema is checked against this
 * table, so a wrong bound in the schema fails a test.
 */
export interface OptionBound {
  /** Key under `[model.driver]`, dotted. */
  key: string;
  integer: boolean;
  /** The smallest valid value, or the open lower end. */
  low: number;
  lowOpen: boolean;
  high?: number;
  highOpen?: boolean;
  source: string;
}

const PIE_DRIVER = 'Pie driver/trtllm config loader (reference/pie-server-contract.md §2c)';

export const OPTION_BOUNDS: OptionBound[] = [
  { key: 'tensor_parallel_size', integer: true, low: 1, lowOpen: false, source: 'Pie: tensor_parallel_size ≥ 1, the product with pipeline_parallel_size dividing the device count (reference/pie-server-contract.md §2; DESIGN §4 Devices)' },
  { key: 'random_seed', integer: true, low: 0, lowOpen: false, source: 'Pie: u64 (reference/pie-server-contract.md §2)' },
  { key: 'spin_budget_us', integer: true, low: 0, lowOpen: false, source: 'Pie: u64 microseconds (reference/pie-server-contract.md §2)' },
  { key: 'options.max_seq_len', integer: true, low: 1, lowOpen: false, source: 'TensorRT-LLM LLM(max_seq_len): a positive length (llmapi/llm_args.py)' },
  { key: 'options.max_batch_size', integer: true, low: 1, lowOpen: false, source: 'TensorRT-LLM LLM(max_batch_size): positive (llmapi/llm_args.py)' },
  { key: 'options.max_num_tokens', integer: true, low: 1, lowOpen: false, source: 'TensorRT-LLM LLM(max_num_tokens): positive (llmapi/llm_args.py)' },
  { key: 'options.kv_cache_free_gpu_memory_fraction', integer: false, low: 0, lowOpen: true, high: 1, highOpen: true, source: 'TensorRT-LLM PyTorch KVCacheManager asserts free_gpu_memory_fraction < 1.0; 0 leaves no KV cache' },
  { key: 'options.pyexecutor_max_tokens', integer: true, low: 1, lowOpen: false, source: PIE_DRIVER },
  { key: 'options.pyexecutor_worker_stop_timeout_s', integer: false, low: 0, lowOpen: true, source: `${PIE_DRIVER}: a timeout in seconds` },
  { key: 'options.pyexecutor_lookahead_min_batch_size', integer: true, low: 1, lowOpen: false, source: PIE_DRIVER },
  { key: 'options.pyexecutor_direct_token_limit', integer: true, low: 1, lowOpen: false, source: PIE_DRIVER },
  { key: 'options.max_concurrent_requests', integer: true, low: 1, lowOpen: false, source: `${PIE_DRIVER}: becomes max_forward_requests` },
  { key: 'options.max_batched_tokens', integer: true, low: 1, lowOpen: false, source: `${PIE_DRIVER}: becomes max_forward_tokens` },
  { key: 'options.virtual_kv_page_size', integer: true, low: 1, lowOpen: false, source: `${PIE_DRIVER}: kv_page_size` },
  { key: 'options.virtual_total_pages', integer: true, low: 1, lowOpen: false, source: `${PIE_DRIVER}: total_pages` },
  { key: 'options.max_session_histories', integer: true, low: 1, lowOpen: false, source: `${PIE_DRIVER}: LRU bound of replay histories` },
  { key: 'options.max_history_tokens', integer: true, low: 1, lowOpen: false, source: `${PIE_DRIVER}: trims each history` },
  { key: 'options.pipeline_parallel_size', integer: true, low: 1, lowOpen: false, source: 'TensorRT-LLM LLM(pipeline_parallel_size): int, default 1 (llmapi/llm_args.py BaseLlmArgs); world size = tp × pp × cp' },
  { key: 'options.lookahead_tokens', integer: true, low: 0, lowOpen: false, high: 16, source: `${PIE_DRIVER}: clamped to ≤ 16; ≤ 1 disables it (DESIGN §3.2: must be ≤ 16)` },
  { key: 'options.lookahead_stream_tokens', integer: true, low: 2, lowOpen: false, high: 4096, source: 'DESIGN §4: max_tokens of one streaming request; 1 token per request is lookahead off, and 4096 is the longest window Pie gives one TensorRT-LLM request (pyexecutor_max_tokens default, reference/pie-trtllm-driver.md)' },
];
