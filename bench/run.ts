import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Bench, type Task } from 'tinybench';
import { createHost } from '../src/cli/local-host.js';
import { Tokens } from '../src/driver/tokens.js';
import { validateDriverTable } from '../src/config/driver-validator.js';
import { packageRoot } from '../src/config/schema-files.js';
import type { DriverHandle } from '../src/plugin/driver-handle.js';
import type { ForwardBatch } from '../src/capabilities/forward-types.js';
import { encodeFrame } from '../src/runtime/frame-codec.js';
import { packedSubBatch } from '../src/runtime/packed-batch.js';
import { MemoryLogger } from '../src/runtime/logger.js';
import { DecodeWorkload } from './decode-workload.js';
import { EchoPeer } from './echo-peer.js';
import { profileDecodeLoop, traceFile } from './step-profile.js';

const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 3000);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function stats(task: Task) {
  const result = task.result;
  if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}${'error' in result ? `: ${result.error}` : ''}`);
  return { p50_us: result.latency.p50 * 1000, p99_us: result.latency.p99 * 1000, mean_us: result.latency.mean * 1000, samples: result.latency.samplesCount };
}

function simulatedDriver(options: Record<string, unknown> = {}, driverKeys: Record<string, unknown> = {}, env: Record<string, string> = {}): DriverHandle {
  const { container, registry } = createHost();
  container.register(Tokens.Logger, { useValue: new MemoryLogger() });
  return registry.resolve('tensorrt_llm').create({
    model: { name: 'bench', hf_repo: 'bench/model' },
    table: { type: 'tensorrt_llm', device: 'cuda:0', ...driverKeys, options: { lookahead_tokens: 16, ...options } },
    simulate: true,
    readyTimeoutMs: 60_000,
    env: { PIE_TRTLLM_LOG_LEVEL: 'WARNING', ...env },
  }) as DriverHandle;
}

/** One decode step of `width` contexts through the whole bridge, re-opening contexts before they grow too long. */
async function decoder(driver: DriverHandle, width: number, firstId: number) {
  const workload = new DecodeWorkload(width, firstId);
  workload.accept(await driver.forward(workload.prefill()), false);
  const advance = async () => {
    if (workload.exhausted) {
      await driver.release(workload.contextIds());
      workload.accept(await driver.forward(workload.prefill()), false);
    }
    workload.accept(await driver.forward(workload.step()), true);
  };
  // Steps run one after another even if the harness overlaps two calls: each feeds the next.
  let chain: Promise<void> = Promise.resolve();
  return {
    workload,
    step(): Promise<void> {
      chain = chain.then(advance);
      return chain;
    },
  };
}

/** A frame of exactly the bytes the driver sends for this batch, as the echo's payload. */
function echoFrameLike(batch: ForwardBatch): Buffer {
  const all = batch.context_ids.map((_, i) => i);
  return encodeFrame({ id: 1, op: 'forward', batch: packedSubBatch(batch, all, all.map((i) => batch.samplers![i])) });
}

async function roundTrips(results: Record<string, unknown>) {
  const driver = simulatedDriver();
  await driver.start();
  const echo = new EchoPeer();
  const one = await decoder(driver, 1, 1);
  const wide = await decoder(driver, 128, 10_000);
  const frame1 = echoFrameLike(one.workload.step());
  const frame128 = echoFrameLike(wide.workload.step());
  const bench = new Bench({ time: TIME_MS, warmupTime: 500 });
  bench
    .add('echo, batch-1 frame', () => echo.roundTrip(frame1).then(() => undefined))
    .add('forward, batch 1', () => one.step())
    .add('echo, batch-128 frame', () => echo.roundTrip(frame128).then(() => undefined))
    .add('forward, batch 128', () => wide.step());
  await bench.run();
  const [e1, f1, e128, f128] = bench.tasks.map(stats);
  results.echo_batch1 = { ...e1, bytes: frame1.length };
  results.forward_batch1 = f1;
  results.echo_batch128 = { ...e128, bytes: frame128.length };
  results.forward_batch128 = f128;
  results.roundtrip_ratio_p50_batch1 = f1!.p50_us / e1!.p50_us;
  results.roundtrip_ratio_batch128 = f128!.p50_us / e128!.p50_us;
  results.decode_tokens_per_s_batch128 = 128 / (f128!.mean_us / 1e6);
  echo.close();
  await driver.dispose();
}

/** Like for like: a runtime that never spins against the blocking echo, and the default against an echo that spins as long. */
async function profiles(results: Record<string, unknown>) {
  const quiet = simulatedDriver({}, { ipc_profile: 'power' });
  await quiet.start();
  const one = await decoder(quiet, 1, 1);
  const spinning = new EchoPeer(1000);
  const frame = echoFrameLike(one.workload.step());
  const bench = new Bench({ time: TIME_MS, warmupTime: 500 });
  bench.add('forward, batch 1, ipc_profile = "power"', () => one.step()).add('echo spinning 1000 µs, batch-1 frame', () => spinning.roundTrip(frame).then(() => undefined));
  await bench.run();
  const [power, echoSpin] = bench.tasks.map(stats);
  results.forward_batch1_power = power;
  results.echo_batch1_spinning = echoSpin;
  const r = results as Record<string, { p50_us: number }>;
  results.roundtrip_ratio_p50_batch1_power_vs_echo = power!.p50_us / r.echo_batch1!.p50_us;
  results.roundtrip_ratio_p50_batch1_vs_spinning_echo = r.forward_batch1!.p50_us / echoSpin!.p50_us;
  spinning.close();
  await quiet.dispose();
}

async function engineCalls(results: Record<string, unknown>) {
  // One context is the strict case: eight contexts share each batched call and look eight times cheaper.
  for (const width of [1, 8]) {
    const driver = simulatedDriver();
    await driver.start();
    const { step } = await decoder(driver, width, 50_000);
    for (let i = 0; i < 255; i++) await step();
    const [status] = (await driver.status()) as { engine_calls: number; tokens_generated: number }[];
    const perToken = status!.engine_calls / status!.tokens_generated;
    results[`greedy_decode_${width}_context${width === 1 ? '' : 's'}`] = { tokens: status!.tokens_generated, engine_calls: status!.engine_calls, per_token: perToken };
    if (width === 1) results.engine_calls_per_token_greedy = perToken;
    await driver.dispose();
  }
}

async function validations(results: Record<string, unknown>) {
  const table = { type: 'tensorrt_llm', device: ['cuda:0', 'cuda:1'], activation_dtype: 'bf16', options: { lookahead_tokens: 16, max_seq_len: 4096, kv_cache_free_gpu_memory_fraction: 0.85, max_session_histories: 4096, llm_kwargs: { max_beam_width: 1 } } };
  const PER_ITERATION = 1000;
  const bench = new Bench({ time: Math.min(TIME_MS, 2000), warmupTime: 300 });
  bench.add('validate [model.driver] x1000', () => {
    for (let i = 0; i < PER_ITERATION; i++) if (!validateDriverTable(table).ok) throw new Error('invalid');
  });
  await bench.run();
  const s = stats(bench.tasks[0]!);
  results.validation = { ...s, per_iteration: PER_ITERATION };
  results.validations_per_s = (PER_ITERATION * 1e6) / s.mean_us;
}

function discovery(results: Record<string, unknown>) {
  const probe = join(packageRoot, 'dist', 'bench', 'discovery-probe.js');
  const runs = Array.from({ length: 7 }, () => (JSON.parse(execFileSync(process.execPath, [probe, packageRoot], { encoding: 'utf8' })) as { ms: number }).ms);
  results.discovery_runs_ms = runs;
  results.discovery_ms = median(runs);
}

async function startToReady(results: Record<string, unknown>) {
  const runs: number[] = [];
  for (let i = 0; i < 7; i++) {
    const driver = simulatedDriver();
    const started = performance.now();
    await driver.start();
    runs.push(performance.now() - started);
    await driver.dispose();
  }
  results.start_to_ready_runs_ms = runs;
  results.start_to_ready_ms = median(runs);
}

/** 3,000 decode steps at batch 128 (and 1), each timed, split by whether the engine ran. */
async function stepProfiles(results: Record<string, unknown>) {
  for (const width of [128, 1]) {
    const trace = traceFile(`batch${width}`);
    const driver = simulatedDriver({}, {}, { PIE_TRTLLM_STEP_TRACE: trace });
    await driver.start();
    results[`decode_steps_batch${width}`] = await profileDecodeLoop(driver, trace, width, 3000);
  }
}

const TARGETS: [string, string, (v: number) => boolean][] = [
  ['roundtrip_ratio_p50_batch1', '≤ 1.5', (v) => v <= 1.5],
  ['roundtrip_ratio_batch128', '≤ 3', (v) => v <= 3],
  ['decode_tokens_per_s_batch128', '≥ 200,000', (v) => v >= 200_000],
  ['engine_calls_per_token_greedy', '≤ 1/15', (v) => v <= 1 / 15],
  ['validations_per_s', '≥ 100,000', (v) => v >= 100_000],
  ['discovery_ms', '≤ 50', (v) => v <= 50],
  ['start_to_ready_ms', '≤ 1000', (v) => v <= 1000],
];

const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    python: execFileSync('python3', ['--version'], { encoding: 'utf8' }).trim(),
  },
};
const PHASES: Record<string, (results: Record<string, unknown>) => unknown> = { validations, discovery, startToReady, engineCalls, roundTrips, profiles, stepProfiles };
const { values: args } = parseArgs({ options: { only: { type: 'string' }, help: { type: 'boolean' } } });
if (args.help) {
  console.log(`usage: npm run bench [-- --only <phase>[,<phase>...]]\nphases: ${Object.keys(PHASES).join(', ')}\nWithout --only every phase runs and bench/results.json is written.`);
  process.exit(0);
}
const chosen = args.only?.split(',') ?? Object.keys(PHASES);
for (const name of chosen) {
  const phase = PHASES[name];
  if (!phase) {
    console.error(`bench: unknown phase "${name}"; phases: ${Object.keys(PHASES).join(', ')}`);
    process.exit(2);
  }
  await phase(results);
}
if (args.only) {
  console.log(JSON.stringify(results, null, 2));
  process.exit(0);
}

const format = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(3));
console.log(`| metric | value | target | met |\n| --- | --- | --- | --- |`);
const met: Record<string, boolean> = {};
for (const [key, target, ok] of TARGETS) {
  const value = results[key] as number;
  met[key] = ok(value);
  console.log(`| ${key} | ${format(value)} | ${target} | ${met[key] ? 'yes' : 'NO'} |`);
}
const r = results as Record<string, { p50_us: number; p99_us: number; bytes?: number }>;
console.log(`\nlike for like, batch 1 (p50): ipc_profile = "power" vs blocking echo ${format(results.roundtrip_ratio_p50_batch1_power_vs_echo as number)}; default "balanced" vs an echo spinning 1000 µs ${format(results.roundtrip_ratio_p50_batch1_vs_spinning_echo as number)}`);
console.log(`\nround trips (p50 / p99 µs): echo batch-1 ${r.echo_batch1!.p50_us.toFixed(1)} / ${r.echo_batch1!.p99_us.toFixed(1)} (${r.echo_batch1!.bytes} B), forward batch 1 ${r.forward_batch1!.p50_us.toFixed(1)} / ${r.forward_batch1!.p99_us.toFixed(1)}; echo batch-128 ${r.echo_batch128!.p50_us.toFixed(1)} / ${r.echo_batch128!.p99_us.toFixed(1)} (${r.echo_batch128!.bytes} B), forward batch 128 ${r.forward_batch128!.p50_us.toFixed(1)} / ${r.forward_batch128!.p99_us.toFixed(1)}`);
results.targets_met = met;
const out = join(packageRoot, 'bench', 'results.json');
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwrote ${out}`);
