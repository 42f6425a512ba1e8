/** Per-request error codes: stable, documented in docs/hosts.md, shared with the Python runtime. */
export const REQUEST_ERROR_CODES = {
  INVALID_REQUEST: 'the request is malformed (inconsistent indptr arrays, negative position, mask runs that do not add up)',
  UNSUPPORTED_ATTENTION_MASK: 'a mask row that is not exactly causal',
  UNSUPPORTED_LOGIT_MASK: 'any logit mask (constrained decoding)',
  UNSUPPORTED_ADAPTER: 'an adapter binding with adapter_id >= 0',
  UNSUPPORTED_PROBE: 'a dist, raw_logits, logprob, logprobs, entropy or embedding sampler',
  UNSUPPORTED_SPECULATION: 'speculative drafts to verify',
  UNSUPPORTED_SAMPLER_LAYOUT: "more than one sampler, or a sample index that is not the request's last token",
  UNSUPPORTED_MULTIMODAL: 'image or audio spans',
  MISSING_REPLAY_PREFIX: "a context's positions run past the tokens the driver can replay (fork or restore without the prefix)",
  UNSUPPORTED_SAMPLER: "a token sampler, or one of its settings, that the configured TensorRT-LLM sampler does not honour (for example min_p under TensorRT-LLM 1.2.1's default sampler)",
  ENGINE_ERROR: 'the engine failed this request; the runtime is alive',
  RUNTIME_UNAVAILABLE: 'the runtime process died or is restarting; the request did not run',
} as const;

export type RequestErrorCode = keyof typeof REQUEST_ERROR_CODES;

export function isRequestErrorCode(code: unknown): code is RequestErrorCode {
  return typeof code === 'string' && Object.hasOwn(REQUEST_ERROR_CODES, code);
}
