import type { ForwardBatch, ForwardResult, Sampler } from '../src/capabilities/forward-types.js';

const GREEDY: Sampler = { type: 'top_p', temperature: 0, p: 1 };
const PROMPT = [1, 2, 3, 4, 5, 6, 7, 8];
/** Contexts are retired before this many tokens, well inside the simulated model's length. */
const MAX_POSITION = 4096;

/**
 * Pie-style greedy decoding over `width` contexts: each step sends every context its last sampled
 * token at the next position, as the Pie runtime does.
 */
export class DecodeWorkload {
  private contexts: { id: number; position: number; last: number }[] = [];
  private nextId: number;

  constructor(
    readonly width: number,
    firstId: number,
  ) {
    this.nextId = firstId;
  }

  /** The prefill batch that opens every context. */
  prefill(): ForwardBatch {
    this.contexts = Array.from({ length: this.width }, () => ({ id: this.nextId++, position: PROMPT.length, last: -1 }));
    const tokens = this.contexts.flatMap(() => PROMPT);
    return {
      token_ids: tokens,
      position_ids: this.contexts.flatMap(() => PROMPT.map((_, i) => i)),
      qo_indptr: this.contexts.map((_, i) => i * PROMPT.length).concat(tokens.length),
      context_ids: this.contexts.map((c) => c.id),
      samplers: this.contexts.map(() => GREEDY),
      sampler_indptr: this.contexts.map((_, i) => i).concat(this.width),
    };
  }

  get exhausted(): boolean {
    return this.contexts[0]!.position >= MAX_POSITION;
  }

  step(): ForwardBatch {
    return {
      token_ids: this.contexts.map((c) => c.last),
      position_ids: this.contexts.map((c) => c.position),
      qo_indptr: this.contexts.map((_, i) => i).concat(this.width),
      context_ids: this.contexts.map((c) => c.id),
      samplers: this.contexts.map(() => GREEDY),
      sampler_indptr: this.contexts.map((_, i) => i).concat(this.width),
    };
  }

  /** Records the sampled tokens; the prefill's results set `last` without advancing. */
  accept(results: ForwardResult[], advanced: boolean): void {
    results.forEach((result, i) => {
      if (!('tokens' in result)) throw new Error(`decode failed: ${JSON.stringify(result)}`);
      const context = this.contexts[i]!;
      if (advanced) context.position++;
      context.last = result.tokens[0]!;
    });
  }

  contextIds(): number[] {
    return this.contexts.map((c) => c.id);
  }
}
