import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import type { DriverHandle } from '../src/plugin/driver-handle.js';
import { DecodeWorkload } from './decode-workload.js';

/** One row of the runtime's step trace (python/pie_trtllm_runtime/step_trace.py). */
interface TraceRow {
  op: string | null;
  wait_us: number;
  slept: number;
  reply_us: number;
  after_reply_us: number;
  engine_calls: number;
  anticipated: boolean;
  gc_us: number;
}

export interface StepDistribution {
  steps: number;
  p10_us: number;
  p50_us: number;
  p90_us: number;
  p99_us: number;
  max_us: number;
}

export interface StepProfile {
  width: number;
  all: StepDistribution;
  engine_steps: StepDistribution;
  other_steps: StepDistribution;
  answered_ahead_share: number;
  /** Of the steps slower than twice the median: what happened during each (a step may have several). */
  slow_steps: { count: number; node_gc: number; python_gc: number; runtime_slept: number; engine: number; none_of_these: number };
  runtime: { reply_p50_us: number; reply_p99_us: number; after_reply_p50_us: number; after_reply_p99_us: number; sleeps: number };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function distribution(values: number[]): StepDistribution {
  const sorted = [...values].sort((a, b) => a - b);
  return { steps: sorted.length, p10_us: percentile(sorted, 10), p50_us: percentile(sorted, 50), p90_us: percentile(sorted, 90), p99_us: percentile(sorted, 99), max_us: sorted.at(-1) ?? NaN };
}

export const traceFile = (name: string) => join(tmpdir(), `pie-trtllm-step-trace-${process.pid}-${name}.jsonl`);

/**
 * `steps` decode steps of `width` contexts, each timed on the Node side, joined with the runtime's
 * own trace of the same messages (the driver must run with PIE_TRTLLM_STEP_TRACE = `trace`) and
 * with Node's garbage-collection pauses. `dispose` must end the driver so the trace is written.
 */
export async function profileDecodeLoop(driver: DriverHandle, trace: string, width: number, steps: number): Promise<StepProfile> {
  const workload = new DecodeWorkload(width, 200_000);
  workload.accept(await driver.forward(workload.prefill()), false);
  const gcPauses: { start: number; end: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcPauses.push({ start: entry.startTime, end: entry.startTime + entry.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  const spans: { start: number; end: number }[] = [];
  for (let i = 0; i < steps; i++) {
    if (workload.exhausted) throw new Error('the profile ran past the workload; lower the step count');
    const batch = workload.step();
    const start = performance.now();
    const results = await driver.forward(batch);
    spans.push({ start, end: performance.now() });
    workload.accept(results, true);
  }
  await new Promise((resolve) => setImmediate(resolve)); // let the observer deliver the last entries
  observer.disconnect();
  await driver.dispose();
  const rows = readFileSync(trace, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as TraceRow);
  rmSync(trace, { force: true });
  const forwards = rows.filter((row) => row.op === 'forward').slice(1); // the first is the prefill
  if (forwards.length !== steps) throw new Error(`the runtime traced ${forwards.length} decode steps, the bench sent ${steps}`);
  const micros = spans.map((s) => (s.end - s.start) * 1000);
  const engine = micros.filter((_, i) => forwards[i]!.engine_calls > 0);
  const other = micros.filter((_, i) => forwards[i]!.engine_calls === 0);
  const all = distribution(micros);
  const slow = { count: 0, node_gc: 0, python_gc: 0, runtime_slept: 0, engine: 0, none_of_these: 0 };
  micros.forEach((us, i) => {
    if (us <= 2 * all.p50_us) return;
    slow.count++;
    const span = spans[i]!;
    const row = forwards[i]!;
    const nodeGc = gcPauses.some((p) => p.end > span.start && p.start < span.end);
    if (nodeGc) slow.node_gc++;
    if (row.gc_us > 0) slow.python_gc++;
    if (row.slept > 0) slow.runtime_slept++;
    if (row.engine_calls > 0) slow.engine++;
    if (!nodeGc && row.gc_us === 0 && row.slept === 0 && row.engine_calls === 0) slow.none_of_these++;
  });
  const reply = distribution(forwards.map((r) => r.reply_us));
  const after = distribution(forwards.map((r) => r.after_reply_us));
  return {
    width,
    all,
    engine_steps: distribution(engine),
    other_steps: distribution(other),
    answered_ahead_share: forwards.filter((r) => r.anticipated).length / steps,
    slow_steps: slow,
    runtime: { reply_p50_us: reply.p50_us, reply_p99_us: reply.p99_us, after_reply_p50_us: after.p50_us, after_reply_p99_us: after.p99_us, sleeps: forwards.reduce((n, r) => n + r.slept, 0) },
  };
}
