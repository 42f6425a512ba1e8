import 'reflect-metadata';
import { createHost } from '../src/cli/local-host.js';
import { bindBenchMeter } from './bench-meter.js';
import { Tokens } from '../src/driver/tokens.js';
import type { DriverHandle } from '../src/plugin/driver-handle.js';
import { MemoryLogger } from '../src/runtime/logger.js';
import { GREEDY, type ProgramPlan, runPrograms, SAMPLING, seededRandom, type StepRecord } from './paced-programs.js';

/**
 * Decoding at the engine's pace: the simulated engine's iteration clock on (a constant per
 * iteration plus a little per request, as a GPU's in-flight batching costs), and programs that
 * start together, arrive one step apart, arrive at random (Poisson), write a token of their own
 * once, stop early, change their sampler every few steps, or are short (16 to 64 tokens); greedy,
 * sampling, or both in one batch. Each runs with streaming lookahead (the default), with Pie's
 * whole windows, and with lookahead off.
 */
export interface EngineClock {
  iterationMs: number;
  perRequestUs: number;
}
/** A mid-size model's iteration; and a small model on a fast GPU. */
export const CLOCK: EngineClock = { iterationMs: 5, perRequestUs: 20 };
export const FAST_CLOCK: EngineClock = { iterationMs: 2, perRequestUs: 20 };
const PROMPT_TOKENS = 32;
const MAX_FORWARD_REQUESTS = 128; // the driver's default max_concurrent_requests
/** A run stops admitting programs and ends the ones left after this long (Pie's windows at batch 128 would take minutes). */
const DEADLINE_MS = 4_000;

export const iterationMs = (requests: number, clock: EngineClock = CLOCK) => clock.iterationMs + (clock.perRequestUs * requests) / 1000;

export const MODES = {
  stream: {},
  window: { lookahead_mode: 'window', lookahead_tokens: 16 },
  off: { lookahead_tokens: 1 },
} as const;
export type Mode = keyof typeof MODES;

export const WORKLOADS = ['together', 'staggered', 'poisson', 'diverge', 'release', 'switch', 'short'] as const;
export type Workload = (typeof WORKLOADS)[number];
/** Whose samplers: every program greedy, every program sampling, or every other program each. */
export const PROGRAMS = ['greedy', 'sampling', 'mixed'] as const;
export type Programs = (typeof PROGRAMS)[number];
/** A `switch` program moves to the next sampler every this many steps. */
export const SWITCH_EVERY = 8;
/** A `short` program takes between these many tokens. */
export const SHORT_TOKENS = [16, 64] as const;

/** The programs of a workload at a batch size: about `batch` of them at a time, `tokens` each. */
export function plansFor(workload: Workload, batch: number, tokens: number, seed: number, programs: Programs = 'greedy', clock: EngineClock = CLOCK): ProgramPlan[] {
  const random = seededRandom(seed);
  const sampled = (plans: ProgramPlan[]) =>
    plans.map((plan, i) => (programs === 'sampling' || (programs === 'mixed' && i % 2 === 1) ? { ...plan, sampler: SAMPLING } : { ...plan, sampler: GREEDY }));
  return sampled(programPlans(workload, batch, tokens, random, clock));
}

function programPlans(workload: Workload, batch: number, tokens: number, random: () => number, clock: EngineClock): ProgramPlan[] {
  const step = iterationMs(batch, clock);
  const one = (i: number): ProgramPlan => ({ arrivalStep: workload === 'together' ? 0 : i, tokens });
  switch (workload) {
    case 'together':
    case 'staggered':
      return Array.from({ length: batch }, (_, i) => one(i));
    case 'poisson': {
      // Arrivals at the rate that keeps `batch` programs running on average (Little's law).
      const meanGapMs = (tokens * step) / batch;
      let at = 0;
      return Array.from({ length: batch * 3 }, () => {
        const plan = { arrivalMs: at, tokens };
        at += -Math.log(1 - random()) * meanGapMs;
        return plan;
      });
    }
    case 'diverge':
      // A quarter of the programs write a token of their own once, somewhere in their middle half.
      return Array.from({ length: batch }, (_, i) => ({ ...one(i), ...(i % 4 === 0 ? { divergeAt: Math.floor(tokens / 4 + random() * (tokens / 2)) } : {}) }));
    case 'release':
      // Programs stop anywhere in their second half, their streams running ahead of them.
      return Array.from({ length: batch }, (_, i) => ({ ...one(i), tokens: Math.floor(tokens / 2 + random() * (tokens / 2)) + 1 }));
    case 'switch':
      // Programs that start together and each move to another sampler every SWITCH_EVERY steps
      // (together, so the steps between the changes are steps without one).
      return Array.from({ length: batch }, () => ({ arrivalStep: 0, tokens, changeSamplerEvery: SWITCH_EVERY }));
    case 'short': {
      // Poisson arrivals of programs of 16 to 64 tokens, each released when done: as many at a
      // time as `batch` on average, and enough of them (at least 48) that their lengths spread.
      // 12 per place in the batch (at most 384) make most of a run's steps steady state rather
      // than the batch filling and emptying, and give batch 16 over 100 steps without a prompt.
      const [low, high] = SHORT_TOKENS;
      const meanGapMs = (((low + high) / 2) * step) / batch;
      let at = 0;
      return Array.from({ length: Math.max(48, Math.min(batch * 12, 384)) }, () => {
        const plan = { arrivalMs: at, tokens: low + Math.floor(random() * (high - low + 1)) };
        at += -Math.log(1 - random()) * meanGapMs;
        return plan;
      });
    }
  }
}

/**
 * The fewest steps a p99 is reported for: with fewer, the nearest rank is the slowest step. Short
 * programs at batch 128 have about 65 to 80 steps without a new prompt (new programs come nearly
 * every step, however many there are); their slowest step is reported instead.
 */
export const P99_MIN_STEPS = 100;

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export interface PaceResult {
  mode: Mode;
  workload: Workload;
  programs: Programs;
  batch: number;
  iteration_ms: number;
  /** Tokens the programs got per second ÷ tokens per second the engine makes for them, over steps that carry only generated tokens. */
  pace: number;
  /** The same over every step, prefills included. */
  pace_all_steps: number;
  /** p99 is NaN (null in JSON) below P99_MIN_STEPS steps, where the nearest rank is the slowest step. */
  decode_steps: { count: number; p50: number; p90: number; p99: number; slowest: number };
  new_program_steps: { count: number; p50: number; p90: number };
  own_token_steps: { count: number; p50: number; p90: number };
  sampler_change_steps: { count: number; p50: number; p90: number };
  /** Engine tokens computed per token a program got. */
  waste: number;
  engine_requests: number;
  /** Engine requests beyond each program's first, per token a program got: what serving a program costs once it runs. */
  continuations_per_token: number;
  /** Mean KV cache the engine held reserved (prompt + max_tokens of each request in flight) per program running. */
  kv_tokens_per_program: number;
  /** The part of it not holding a token yet: what running ahead costs in KV cache, per program. */
  kv_ahead_per_program: number;
  tokens: number;
  seconds: number;
}

interface ExecutorCounts {
  computed_tokens: number;
  reserved_token_iterations: number;
  used_token_iterations: number;
  iterations: number;
  requests: number;
}

async function executorCounts(driver: DriverHandle): Promise<ExecutorCounts> {
  const [status] = (await driver.status()) as unknown as { runtime?: { simulated_engine?: { executor?: ExecutorCounts } } }[];
  const counts = status?.runtime?.simulated_engine?.executor;
  if (!counts) throw new Error('the runtime reported no simulated executor counts');
  return counts;
}

export function pacedDriver(mode: Mode, options: Record<string, unknown> = {}, clock: EngineClock = CLOCK): DriverHandle {
  const { container, registry } = createHost();
  container.register(Tokens.Logger, { useValue: new MemoryLogger() });
  bindBenchMeter(container);
  return registry.resolve('tensorrt_llm').create({
    model: { name: 'paced', hf_repo: 'bench/model' },
    table: { type: 'tensorrt_llm', device: 'cuda:0', options: { ...MODES[mode], max_session_histories: 4096, ...options } },
    simulate: true,
    readyTimeoutMs: 60_000,
    env: {
      PIE_TRTLLM_LOG_LEVEL: 'WARNING',
      PIE_TRTLLM_SIMULATE_ITERATION_MS: String(clock.iterationMs),
      PIE_TRTLLM_SIMULATE_ITERATION_PER_REQUEST_US: String(clock.perRequestUs),
    },
  }) as DriverHandle;
}

export function summarize(
  run: { mode: Mode; workload: Workload; programs: Programs; batch: number; clock: EngineClock },
  programCount: number,
  steps: StepRecord[],
  before: ExecutorCounts,
  after: ExecutorCounts,
): PaceResult {
  const { mode, workload, programs, batch, clock } = run;
  const iterations = (s: StepRecord) => s.ms / iterationMs(s.requests, clock);
  // Tokens the programs got ÷ tokens the engine makes for them in the same time (one per
  // program per iteration). Above 1 after a slow step: tokens made during it are handed out faster.
  const pace = (chosen: StepRecord[]) => chosen.reduce((sum, s) => sum + s.requests, 0) / chosen.reduce((sum, s) => sum + s.requests * iterations(s), 0);
  const spread = (kind: StepRecord['kind']) => {
    const sorted = steps.filter((s) => s.kind === kind).map(iterations).sort((a, b) => a - b);
    const p99 = sorted.length >= P99_MIN_STEPS ? percentile(sorted, 99) : NaN;
    return { count: sorted.length, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99, slowest: sorted.at(-1) ?? NaN };
  };
  const decode = spread('decode');
  const { p99: _p99n, slowest: _sn, ...newProgram } = spread('new_program');
  const { p99: _p99o, slowest: _so, ...ownToken } = spread('own_token');
  const { p99: _p99s, slowest: _ss, ...samplerChange } = spread('sampler_change');
  const tokens = steps.reduce((sum, s) => sum + s.requests, 0);
  const seconds = steps.reduce((sum, s) => sum + s.ms, 0) / 1000;
  const meanPrograms = steps.reduce((sum, s) => sum + s.requests * s.ms, 0) / (seconds * 1000);
  const iterationsRun = Math.max(1, after.iterations - before.iterations);
  const meanReserved = (after.reserved_token_iterations - before.reserved_token_iterations) / iterationsRun;
  const meanUsed = (after.used_token_iterations - before.used_token_iterations) / iterationsRun;
  const requests = after.requests - before.requests;
  return {
    mode,
    workload,
    programs,
    batch,
    iteration_ms: clock.iterationMs,
    pace: pace(steps.filter((s) => s.kind === 'decode')),
    pace_all_steps: pace(steps),
    decode_steps: decode,
    new_program_steps: newProgram,
    own_token_steps: ownToken,
    sampler_change_steps: samplerChange,
    waste: (after.computed_tokens - before.computed_tokens) / tokens,
    engine_requests: requests,
    continuations_per_token: (requests - programCount) / tokens,
    kv_tokens_per_program: meanReserved / meanPrograms,
    kv_ahead_per_program: (meanReserved - meanUsed) / meanPrograms,
    tokens,
    seconds,
  };
}

/** One workload on a fresh driver. */
export interface PaceRunSpec {
  mode: Mode;
  workload: Workload;
  batch: number;
  /** Tokens a program takes (ignored by `short`, whose programs take 16 to 64). */
  tokens: number;
  programs?: Programs;
  clock?: EngineClock;
  seed?: number;
  options?: Record<string, unknown>;
}

export async function paceRun(spec: PaceRunSpec): Promise<PaceResult> {
  const { mode, workload, batch, tokens, programs = 'greedy', clock = CLOCK, seed = 1, options = {} } = spec;
  const driver = pacedDriver(mode, options, clock);
  try {
    await driver.start();
    const before = await executorCounts(driver);
    const plans = plansFor(workload, batch, tokens, seed, programs, clock);
    const { steps, programsStarted } = await runPrograms(driver, plans, 1, PROMPT_TOKENS, MAX_FORWARD_REQUESTS, mode === 'stream' ? Infinity : DEADLINE_MS);
    const after = await executorCounts(driver);
    return summarize({ mode, workload, programs, batch, clock }, programsStarted, steps, before, after);
  } finally {
    await driver.dispose();
  }
}
