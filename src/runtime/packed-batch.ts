import type { ForwardBatch, Sampler } from '../capabilities/forward-types.js';
import { packI32, packU32, packU64 } from './array-packing.js';
import type { IndexedForwardBatch, PackedForwardBatch } from './generated/wire-messages.js';

/** What the driver sends its runtime for a forward. */
export type RuntimeForwardBatch = PackedForwardBatch | IndexedForwardBatch;

/**
 * The accepted requests as the runtime wire carries them: integer arrays packed, each distinct
 * sampler sent once with a per-request index into that table (-1: prefill only).
 */
type SamplerFields = { type: string; temperature?: number; k?: number; p?: number; seed?: number };

function sameSampler(a: SamplerFields, b: SamplerFields): boolean {
  return a === b || (a.type === b.type && a.temperature === b.temperature && a.k === b.k && a.p === b.p && a.seed === b.seed);
}

/** The sampler with only its known fields, as the runtime takes it (the gate has checked them). */
function samplerFields(s: SamplerFields): Sampler {
  const copy: SamplerFields = { type: s.type };
  if (s.temperature !== undefined) copy.temperature = s.temperature;
  if (s.k !== undefined) copy.k = s.k;
  if (s.p !== undefined) copy.p = s.p;
  if (s.seed !== undefined) copy.seed = s.seed;
  return copy as Sampler;
}

/** Batches with at least this many tokens travel packed (measured: below it plain JSON is cheaper). */
export const PACK_FROM_TOKENS = 32;

export function packedSubBatch(batch: ForwardBatch, indices: number[], samplers: (Sampler | undefined)[]): RuntimeForwardBatch {
  const qo = batch.qo_indptr;
  let total = 0;
  for (const r of indices) total += qo[r + 1]! - qo[r]!;
  const tokens = new Uint32Array(total);
  const positions = new Uint32Array(total);
  const offsets = new Uint32Array(indices.length + 1);
  const contexts: number[] = new Array(indices.length);
  const samplerIndex = new Int32Array(indices.length);
  const table: Sampler[] = [];
  const tableIndex = new Map<string, number>();
  let previous: Sampler | undefined;
  let previousIndex = -1;
  let at = 0;
  indices.forEach((r, n) => {
    for (let i = qo[r]!; i < qo[r + 1]!; i++, at++) {
      tokens[at] = batch.token_ids[i]!;
      positions[at] = batch.position_ids[i]!;
    }
    offsets[n + 1] = at;
    contexts[n] = batch.context_ids[r]!;
    const sampler = samplers[r];
    if (!sampler) {
      samplerIndex[n] = -1;
      return;
    }
    const s = sampler as Sampler & { temperature?: number; k?: number; p?: number; seed?: number };
    if (previous !== undefined && sameSampler(previous as SamplerFields, s)) {
      samplerIndex[n] = previousIndex; // a decode batch repeats one sampler: skip the lookup
      return;
    }
    const key = `${s.type}|${s.temperature}|${s.k}|${s.p}|${s.seed}`;
    let index = tableIndex.get(key);
    if (index === undefined) {
      index = table.push(samplerFields(s)) - 1;
      tableIndex.set(key, index);
    }
    samplerIndex[n] = index;
    previous = s;
    previousIndex = index;
  });
  if (total < PACK_FROM_TOKENS) {
    // Small batches travel as plain arrays: decoding five short base64 strings costs the runtime
    // more than parsing a few numbers.
    return { token_ids: [...tokens], position_ids: [...positions], qo_indptr: [...offsets], context_ids: contexts, sampler_table: table, sampler_index: [...samplerIndex] };
  }
  // Arrays a decode step implies stay off the wire: one token per request, one shared sampler.
  const packed: PackedForwardBatch['packed'] = { token_ids: packU32(tokens), position_ids: packU32(positions), context_ids: packU64(contexts) };
  if (total !== indices.length) packed.qo_indptr = packU32(offsets);
  if (table.length !== 1 || samplerIndex.some((i) => i !== 0)) packed.sampler_index = packI32(samplerIndex);
  return { packed, sampler_table: table };
}
