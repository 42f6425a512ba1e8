import { performance } from 'node:perf_hooks';
import type { ForwardBatch, Sampler } from '../src/capabilities/forward-types.js';
import type { DriverHandle } from '../src/plugin/driver-handle.js';

export const GREEDY: Sampler = { type: 'top_p', temperature: 0, p: 1 };
/** The sampler of a sampling program: nucleus sampling as chat services commonly set it. */
export const SAMPLING: Sampler = { type: 'top_p', temperature: 0.7, p: 0.9 };
/** What a program that changes its sampler every few steps cycles through, greedy included. */
export const SAMPLER_CYCLE: Sampler[] = [
  SAMPLING,
  { type: 'top_k', temperature: 0.8, k: 40 },
  GREEDY,
  { type: 'multinomial', temperature: 1, seed: 0 },
  { type: 'top_k_top_p', temperature: 0.6, k: 20, p: 0.95 },
];
const VOCAB = 32000;

/** One program: when it arrives (at a time, or with a step of the loop), how many tokens it decodes, and the step at which it writes a token of its own. */
export interface ProgramPlan {
  arrivalMs?: number;
  arrivalStep?: number;
  tokens: number;
  /** The step (1-based, after the prompt's) at which it sends another token than the one it got. */
  divergeAt?: number;
  /** Its sampler (greedy when absent). */
  sampler?: Sampler;
  /** Every this many steps it moves to the next sampler of SAMPLER_CYCLE (starting at `sampler`'s place). */
  changeSamplerEvery?: number;
}

/** What kind of step a forward was: only generated tokens fed back, one carrying prompt tokens, one where a program wrote a token of its own, or one where a program changed its sampler. */
export type StepKind = 'decode' | 'new_program' | 'own_token' | 'sampler_change';

export interface StepRecord {
  ms: number;
  requests: number;
  kind: StepKind;
}

interface Program {
  plan: ProgramPlan;
  id: number;
  prompt: number[];
  position: number;
  last: number;
  got: number;
  sampler: Sampler;
}

/**
 * Pie's decode loop over programs that come and go: each step sends one forward holding every
 * program that is ready (a new one with its prompt, the others with the token they were just given
 * at the next position), waits for the whole batch as Pie's runtime does, then releases the
 * programs that are done. At most `maxBatch` programs run at once (Pie's max_forward_requests); an
 * arrival beyond waits for a place. Past `deadlineMs` no program is admitted and the running ones are
 * released. Returns every step with its duration and kind.
 */
export async function runPrograms(
  driver: DriverHandle,
  plans: ProgramPlan[],
  firstId: number,
  promptLength: number,
  maxBatch: number,
  deadlineMs = Infinity,
): Promise<{ steps: StepRecord[]; programsStarted: number }> {
  const byTime = plans.filter((p) => p.arrivalStep === undefined).sort((a, b) => a.arrivalMs! - b.arrivalMs!);
  const byStep = plans.filter((p) => p.arrivalStep !== undefined).sort((a, b) => a.arrivalStep! - b.arrivalStep!);
  const active: Program[] = [];
  const steps: StepRecord[] = [];
  let nextId = firstId;
  const started = performance.now();
  while (byTime.length || byStep.length || active.length) {
    const now = performance.now() - started;
    if (now > deadlineMs) {
      if (active.length) await driver.release(active.splice(0).map((p) => p.id));
      break;
    }
    const admit = (plan: ProgramPlan) => {
      const id = nextId++;
      active.push({ plan, id, prompt: Array.from({ length: promptLength }, (_, i) => (id * 7919 + i * 104729) % VOCAB), position: 0, last: -1, got: 0, sampler: plan.sampler ?? GREEDY });
    };
    while (byStep.length && byStep[0]!.arrivalStep! <= steps.length && active.length < maxBatch) admit(byStep.shift()!);
    while (byTime.length && byTime[0]!.arrivalMs! <= now && active.length < maxBatch) admit(byTime.shift()!);
    if (!active.length) {
      if (!byTime.length) break;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, byTime[0]!.arrivalMs! - now)));
      continue;
    }
    const batch: ForwardBatch = { token_ids: [], position_ids: [], qo_indptr: [0], context_ids: [], samplers: [], sampler_indptr: [0] };
    let kind: StepKind = 'decode';
    for (const program of active) {
      let tokens: number[];
      const every = program.plan.changeSamplerEvery;
      if (every && program.got > 0 && program.got % every === 0) {
        program.sampler = SAMPLER_CYCLE[(SAMPLER_CYCLE.indexOf(program.sampler) + 1) % SAMPLER_CYCLE.length]!;
        if (kind === 'decode') kind = 'sampler_change';
      }
      if (program.got === 0) {
        tokens = program.prompt;
        kind = 'new_program';
      } else if (program.got === program.plan.divergeAt) {
        tokens = [(program.last + 1) % VOCAB];
        if (kind === 'decode' || kind === 'sampler_change') kind = 'own_token';
      } else {
        tokens = [program.last];
      }
      batch.token_ids.push(...tokens);
      for (let i = 0; i < tokens.length; i++) batch.position_ids.push(program.position + i);
      batch.qo_indptr.push(batch.token_ids.length);
      batch.context_ids.push(program.id);
      batch.samplers!.push(program.sampler);
      batch.sampler_indptr!.push(batch.samplers!.length);
    }
    const sent = performance.now();
    const results = await driver.forward(batch);
    steps.push({ ms: performance.now() - sent, requests: active.length, kind });
    const done: number[] = [];
    results.forEach((result, i) => {
      const program = active[i]!;
      if (!('tokens' in result)) throw new Error(`program ${program.id} failed: ${JSON.stringify(result)}`);
      program.position += program.got === 0 ? program.prompt.length : 1;
      program.last = result.tokens[0]!;
      program.got++;
      if (program.got >= program.plan.tokens) done.push(program.id);
    });
    if (done.length) {
      for (let i = active.length - 1; i >= 0; i--) if (done.includes(active[i]!.id)) active.splice(i, 1);
      await driver.release(done);
    }
  }
  return { steps, programsStarted: nextId - firstId };
}

/** A seeded generator (mulberry32), so every run of a workload sees the same programs. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
