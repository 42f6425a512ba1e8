import type { ForwardBatch, ForwardResult, Sampler } from './forward-types.js';
import { rejection } from './forward-types.js';
import type { ReplayTracker } from './replay-tracker.js';
import { shownValue } from './shown-value.js';

/** `n` and the noun, singular for one: "1 entry", "3 entries". */
const counted = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const entries = (n: number) => counted(n, 'entry', 'entries');

/** The batch as a whole cannot be read: no request count can be derived from it. */
export class MalformedBatchError extends Error {
  readonly code = 'INVALID_REQUEST';
  constructor(message: string) {
    super(message);
    this.name = 'MalformedBatchError';
  }
}

export interface GateOutcome {
  /** One slot per request: the rejection for refused requests, undefined for accepted ones. */
  results: (ForwardResult | undefined)[];
  /** Indices of the requests that go to a runtime, in order. */
  accepted: number[];
  /** The sampler of each request (undefined: prefill only). */
  samplers: (Sampler | undefined)[];
}

const PROBES = new Set(['dist', 'raw_logits', 'logprob', 'logprobs', 'entropy', 'embedding']);
/** The fields each token sampler carries (DESIGN §3.5); any other field is a malformed request. */
const SAMPLER_FIELDS: Record<string, ReadonlySet<string>> = {
  multinomial: new Set(['type', 'temperature', 'seed']),
  top_k: new Set(['type', 'temperature', 'k']),
  top_p: new Set(['type', 'temperature', 'p']),
  min_p: new Set(['type', 'temperature', 'p']),
  top_k_top_p: new Set(['type', 'temperature', 'k', 'p']),
};
/** The fields of Pie's ForwardRequest in JSON (DESIGN §3.5); the wire schema allows no others. */
const BATCH_FIELDS = new Set([
  'token_ids', 'position_ids', 'qo_indptr', 'context_ids', 'samplers', 'sampler_indptr', 'sampling_indices', 'sampling_indptr',
  'masks', 'mask_indptr', 'logit_masks', 'logit_mask_indptr', 'adapter_bindings', 'spec_token_ids', 'spec_position_ids', 'spec_indptr',
  'image_indptr', 'audio_indptr', 'has_user_mask', 'single_token_mode',
]);
/** Positions travel as unsigned 32-bit integers; before the model's length is known, that bounds them. */
const POSITION_LIMIT = 2 ** 32;

/** How much one forward may carry: the limits the capability report gives the host. */
export interface BatchLimits {
  maxRequests: number;
  maxTokens: number;
  /** Positions must lie below the model's length. */
  maxModelLen: number;
}

type Batch = ForwardBatch & Record<string, unknown>;

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** A count that survives the trip to the runtime exactly (JSON numbers past 2^53 do not). */
function isSafeCount(value: unknown): value is number {
  return isCount(value) && value <= Number.MAX_SAFE_INTEGER;
}

function indptr(batch: Batch, key: string, size: number, total?: number, fromZero = true): number[] | undefined {
  const value = batch[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length !== size + 1) throw new Error(`\`${key}\` must have ${entries(size + 1)} (requests + 1)`);
  for (let i = 0; i < value.length; i++) {
    if (!isCount(value[i]) || (i > 0 && value[i] < value[i - 1])) throw new Error(`\`${key}\` must be non-decreasing non-negative integers`);
  }
  if (fromZero && value[0] !== 0) throw new Error(`\`${key}\` must start at 0`);
  if (total !== undefined && value[size] !== total) throw new Error(`\`${key}\` ends at ${value[size]} but there ${total === 1 ? 'is' : 'are'} ${entries(total)}`);
  return value as number[];
}

function paired(batch: Batch, valuesKey: string, indptrKey: string, size: number): [unknown[], number[]] | undefined {
  const values = batch[valuesKey];
  if (values !== undefined && values !== null && !Array.isArray(values)) throw new Error(`\`${valuesKey}\` must be an array`);
  const list = (values ?? []) as unknown[];
  if (list.length > 0 && batch[indptrKey] === undefined) throw new Error(`\`${valuesKey}\` needs \`${indptrKey}\``);
  const ptr = indptr(batch, indptrKey, size, list.length);
  return ptr ? [list, ptr] : undefined;
}

/** Why a mask row is refused, or undefined for an exactly causal row. */
function maskRowProblem(row: unknown, position: number): ForwardResult | undefined {
  if (!Array.isArray(row) || !row.every(isCount)) return rejection('INVALID_REQUEST', 'a mask row must be a list of non-negative run lengths');
  let sum = 0;
  for (const run of row as number[]) sum += run;
  if (sum !== position + 1) return rejection('INVALID_REQUEST', `the mask row for position ${position} covers ${sum} keys, not ${position + 1}`);
  if (row.length < 2 || row[0] !== 0 || row[1] !== position + 1) {
    return rejection('UNSUPPORTED_ATTENTION_MASK', `the attention mask of position ${position} is not causal; TensorRT-LLM's LLM API supports causal attention only (drop the mask, or use a driver with custom masks)`);
  }
  return undefined;
}

/** What the configured TensorRT-LLM sampler honours besides temperature, top_k and top_p. */
export interface SamplerSupport {
  samplerType: string;
  seeded: boolean;
  minP: boolean;
}

/** A stochastic sampler that asks for what the configured sampler ignores (greedy reads neither). */
function unsupportedSetting(s: Record<string, unknown>, support: SamplerSupport): ForwardResult | undefined {
  const greedy = s.temperature === 0 || s.k === 1 || (s.type !== 'min_p' && s.p === 0);
  if (greedy) return undefined;
  if (s.type === 'multinomial' && (s.seed as number) > 0 && !support.seeded) {
    return rejection('UNSUPPORTED_SAMPLER', `seed ${s.seed} asks for reproducible sampling, but TensorRT-LLM 1.2.1's ${support.samplerType} draws every request from one shared generator; send seed 0, or set llm_kwargs.sampler_type = "TRTLLMSampler"`);
  }
  if (s.type === 'min_p' && (s.p as number) > 0 && !support.minP) {
    return rejection('UNSUPPORTED_SAMPLER', `min_p sampling is not applied by TensorRT-LLM 1.2.1's ${support.samplerType}; use top_p or top_k, or set llm_kwargs.sampler_type = "TRTLLMSampler"`);
  }
  return undefined;
}

function samplerProblem(sampler: unknown, support: SamplerSupport): ForwardResult | undefined {
  if (sampler === null || typeof sampler !== 'object' || Array.isArray(sampler)) return rejection('INVALID_REQUEST', `a sampler must be an object, found ${shownValue(sampler)}`);
  const s = sampler as Record<string, unknown>;
  const type = s.type;
  if (typeof type !== 'string') return rejection('INVALID_REQUEST', `a sampler needs a string \`type\`, found ${shownValue(type)}`);
  if (PROBES.has(type)) {
    return rejection('UNSUPPORTED_PROBE', `the ${type} sampler needs logits or probabilities, which TensorRT-LLM's LLM API does not return here; use a token sampler (multinomial, top_k, top_p, min_p, top_k_top_p)`);
  }
  const fields = SAMPLER_FIELDS[type];
  if (!fields || !Object.hasOwn(SAMPLER_FIELDS, type)) return rejection('INVALID_REQUEST', `unknown sampler type ${shownValue(type)}; expected multinomial, top_k, top_p, min_p or top_k_top_p`);
  for (const key of Object.keys(s)) {
    if (!fields.has(key)) return rejection('INVALID_REQUEST', `sampler ${type} has no field ${shownValue(key)}; it takes ${[...fields].join(', ')}`);
  }
  const t = s.temperature;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) return rejection('INVALID_REQUEST', `sampler ${type} needs a temperature ≥ 0, found ${shownValue(t)}`);
  if ((type === 'top_k' || type === 'top_k_top_p') && !isSafeCount(s.k)) return rejection('INVALID_REQUEST', `sampler ${type} needs an integer k ≥ 0, found ${shownValue(s.k)}`);
  if (type === 'top_p' || type === 'min_p' || type === 'top_k_top_p') {
    if (typeof s.p !== 'number' || !(s.p >= 0 && s.p <= 1)) return rejection('INVALID_REQUEST', `sampler ${type} needs p in [0, 1], found ${shownValue(s.p)}`);
  }
  if (type === 'multinomial' && !isSafeCount(s.seed)) return rejection('INVALID_REQUEST', `sampler multinomial needs an integer seed ≥ 0 (at most 2^53 - 1), found ${shownValue(s.seed)}`);
  return unsupportedSetting(s, support);
}

/**
 * Classifies every request of a batch before anything is sent: a request the driver cannot honour
 * exactly is answered here with its code; the rest go on. The Python runtime checks again.
 */
export class RequestGate {
  /** Token ids must lie below this once the runtimes have reported their vocabulary. */
  private vocabSize = Number.POSITIVE_INFINITY;
  private limits: BatchLimits = { maxRequests: Number.POSITIVE_INFINITY, maxTokens: Number.POSITIVE_INFINITY, maxModelLen: POSITION_LIMIT };
  /** Until the runtimes report, nothing beyond TensorRT-LLM 1.2.1's default sampler is assumed. */
  private samplerSupport: SamplerSupport = { samplerType: 'TorchSampler', seeded: false, minP: false };

  constructor(private readonly tracker: ReplayTracker) {}

  /** Learns the model's vocabulary from the capability report. */
  setVocabulary(size: number): void {
    this.vocabSize = size;
  }

  /** Learns how much one forward may carry from the capability report. */
  setLimits(limits: BatchLimits): void {
    this.limits = { ...limits, maxModelLen: Math.min(limits.maxModelLen, POSITION_LIMIT) };
  }

  /** Learns what the configured sampler honours from the capability report. */
  setSamplerSupport(support: SamplerSupport): void {
    this.samplerSupport = support;
  }

  classify(input: unknown): GateOutcome {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new MalformedBatchError('`batch` must be an object');
    const batch = input as Batch;
    const contextIds = batch.context_ids;
    if (!Array.isArray(contextIds)) throw new MalformedBatchError('the batch needs `context_ids`, one per request');
    const size = contextIds.length;
    // Over the reported limits the batch is refused whole, before anything is built for it.
    if (size > this.limits.maxRequests) throw new MalformedBatchError(`the batch has ${size} requests, above max_forward_requests (${this.limits.maxRequests}); split it`);
    const tokenCount = Array.isArray(batch.token_ids) ? batch.token_ids.length : 0;
    if (tokenCount > this.limits.maxTokens) throw new MalformedBatchError(`the batch has ${tokenCount} tokens, above max_forward_tokens (${this.limits.maxTokens}); split it`);
    const results: (ForwardResult | undefined)[] = new Array(size).fill(undefined);
    const samplers: (Sampler | undefined)[] = new Array(size);
    const accepted: number[] = [];
    let parts;
    try {
      parts = this.structure(batch, size);
    } catch (error) {
      results.fill(rejection('INVALID_REQUEST', (error as Error).message));
      return { results, accepted, samplers };
    }
    for (let r = 0; r < size; r++) {
      const outcome = this.request(batch, r, parts, samplers);
      if (outcome) results[r] = outcome;
      else accepted.push(r);
    }
    return { results, accepted, samplers };
  }

  private structure(batch: Batch, size: number) {
    for (const key of Object.keys(batch)) {
      if (!BATCH_FIELDS.has(key)) throw new Error(`the batch has no field ${shownValue(key)} (Pie's ForwardRequest fields only)`);
    }
    const tokens = batch.token_ids;
    const positions = batch.position_ids;
    if (!Array.isArray(tokens) || !Array.isArray(positions)) throw new Error('the batch needs `token_ids` and `position_ids`');
    if (positions.length !== tokens.length) throw new Error(`\`position_ids\` has ${entries(positions.length)} but \`token_ids\` has ${tokens.length}`);
    const qo = indptr(batch, 'qo_indptr', size, tokens.length);
    if (!qo) throw new Error('the batch needs `qo_indptr`');
    const adapters = batch.adapter_bindings;
    if (adapters !== undefined && (!Array.isArray(adapters) || (adapters.length > 0 && adapters.length !== size))) throw new Error('`adapter_bindings` must have one entry per request');
    const masks = paired(batch, 'masks', 'mask_indptr', size);
    if (batch.has_user_mask === true && !masks?.[0].length) throw new Error('`has_user_mask` is set but the batch carries no `masks`');
    return {
      tokens: tokens as unknown[],
      positions: positions as unknown[],
      qo,
      samplers: paired(batch, 'samplers', 'sampler_indptr', size),
      indices: paired(batch, 'sampling_indices', 'sampling_indptr', size),
      masks,
      logitMasks: paired(batch, 'logit_masks', 'logit_mask_indptr', size),
      spec: paired(batch, 'spec_token_ids', 'spec_indptr', size),
      images: indptr(batch, 'image_indptr', size, undefined, false),
      audio: indptr(batch, 'audio_indptr', size, undefined, false),
      adapters: adapters as { adapter_id?: unknown }[] | undefined,
    };
  }

  private request(batch: Batch, r: number, p: ReturnType<RequestGate['structure']>, samplers: (Sampler | undefined)[]): ForwardResult | undefined {
    const contextId = (batch.context_ids as unknown[])[r];
    if (!isSafeCount(contextId)) return rejection('INVALID_REQUEST', `context id ${shownValue(contextId)} is not a non-negative safe integer`);
    const start = p.qo[r]!;
    const end = p.qo[r + 1]!;
    for (let i = start; i < end; i++) {
      if (!isCount(p.tokens[i])) return rejection('INVALID_REQUEST', `token id ${shownValue(p.tokens[i])} is not a non-negative integer`);
      if ((p.tokens[i] as number) >= Math.min(this.vocabSize, POSITION_LIMIT)) return rejection('INVALID_REQUEST', `token id ${shownValue(p.tokens[i])} is outside the vocabulary (0..${Math.min(this.vocabSize, POSITION_LIMIT) - 1})`);
      if (!isCount(p.positions[i])) return rejection('INVALID_REQUEST', `position ${shownValue(p.positions[i])} is not a non-negative integer`);
      if ((p.positions[i] as number) >= this.limits.maxModelLen) return rejection('INVALID_REQUEST', `position ${shownValue(p.positions[i])} is past the model's length (max_model_len ${this.limits.maxModelLen})`);
    }
    if (p.masks) {
      const [rows, ptr] = p.masks;
      const from = ptr[r]!;
      const count = ptr[r + 1]! - from;
      if (count > 0 && count !== end - start) return rejection('INVALID_REQUEST', `${counted(count, 'mask row')} for ${counted(end - start, 'token')}`);
      for (let i = 0; i < count; i++) {
        const problem = maskRowProblem(rows[from + i], p.positions[start + i] as number);
        if (problem) return problem;
      }
    }
    if (p.logitMasks && p.logitMasks[1][r + 1]! > p.logitMasks[1][r]!) {
      return rejection('UNSUPPORTED_LOGIT_MASK', 'logit masks (constrained decoding) are not supported by TensorRT-LLM\'s LLM API here; sample without a mask or use a driver with constrained decoding');
    }
    if (p.adapters && p.adapters.length > 0) {
      const binding = p.adapters[r];
      const id = binding !== null && typeof binding === 'object' ? binding.adapter_id : binding;
      if (typeof id !== 'number' || !Number.isInteger(id)) return rejection('INVALID_REQUEST', `adapter binding ${shownValue(binding)} has no integer adapter_id`);
      if (id >= 0) return rejection('UNSUPPORTED_ADAPTER', `adapter ${id} is bound, but this driver serves the base model only; unbind it (adapter_id = -1) or use a driver with adapter support`);
    }
    if (p.spec && p.spec[1][r + 1]! > p.spec[1][r]!) {
      return rejection('UNSUPPORTED_SPECULATION', 'speculative drafts cannot be verified through TensorRT-LLM\'s LLM API; send the tokens without drafts');
    }
    if ((p.images && p.images[r + 1]! > p.images[r]!) || (p.audio && p.audio[r + 1]! > p.audio[r]!)) {
      return rejection('UNSUPPORTED_MULTIMODAL', 'image and audio inputs are not supported by this driver; send text tokens only');
    }
    const count = p.samplers ? p.samplers[1][r + 1]! - p.samplers[1][r]! : 0;
    if (count > 1) return rejection('UNSUPPORTED_SAMPLER_LAYOUT', `${count} samplers on one request; this driver samples one token per request (split it into several requests)`);
    if (p.indices) {
      const [values, ptr] = p.indices;
      const n = ptr[r + 1]! - ptr[r]!;
      if (n !== count) return rejection('INVALID_REQUEST', `${counted(n, 'sampling index', 'sampling indices')} for ${counted(count, 'sampler')}`);
      if (count === 1 && values[ptr[r]!] !== end - start - 1) {
        return rejection('UNSUPPORTED_SAMPLER_LAYOUT', `sample index ${shownValue(values[ptr[r]!])} is not the request's last token (${end - start - 1}); TensorRT-LLM samples after the tail only`);
      }
    }
    if (count === 1) {
      if (end === start) return rejection('INVALID_REQUEST', 'a request with a sampler needs at least one token');
      const sampler = p.samplers![0][p.samplers![1][r]!];
      const problem = samplerProblem(sampler, this.samplerSupport);
      if (problem) return problem;
      samplers[r] = sampler as Sampler;
    }
    return this.replayProblem(contextId, p.positions as number[], start, end);
  }

  /** A request that starts past what the context can replay is a fork or restore without its prefix. */
  private replayProblem(contextId: number, positions: number[], start: number, end: number): ForwardResult | undefined {
    if (end === start) return undefined;
    let known = this.tracker.length(contextId);
    for (let i = start; i < end; i++) {
      const position = positions[i]!;
      if (position > known) {
        return rejection('MISSING_REPLAY_PREFIX', `context ${contextId} has token position ${position}, but the driver can replay only ${known} tokens of it; send the missing prefix (a fork or restore needs its parent's tokens, or fork it through the driver)`);
      }
      if (position === known) known++;
    }
    this.tracker.extend(contextId, known);
    return undefined;
  }
}
