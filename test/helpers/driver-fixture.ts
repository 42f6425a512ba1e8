import 'reflect-metadata';
import type { DependencyContainer } from 'tsyringe';
import type { ForwardBatch, Sampler } from '../../src/capabilities/forward-types.js';
import { createHost } from '../../src/cli/local-host.js';
import type { DriverHandle } from '../../src/plugin/driver-handle.js';
import { Tokens } from '../../src/driver/tokens.js';
import { MemoryLogger } from '../../src/runtime/logger.js';

export const GREEDY: Sampler = { type: 'top_p', temperature: 0, p: 1 };

/** DESIGN §3.6, `PIE_TRTLLM_SIMULATE_RULE=prompt` (set for every test run): every token counts. */
export function greedyNext(history: number[]): number {
  let weighted = 0;
  for (let i = 0; i < history.length; i++) weighted = (weighted + (i + 1) * history[i]!) % 32000;
  return (31 * history[history.length - 1]! + 7 * history.length + 1 + weighted) % 32000;
}

export function greedyContinuation(prompt: number[], n: number): number[] {
  const history = [...prompt];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const token = greedyNext(history);
    out.push(token);
    history.push(token);
  }
  return out;
}

export type RequestSpec = [contextId: number, tokens: number[], start: number, sampler?: Sampler | Record<string, unknown>];

/** A Pie-shaped batch from (context, tokens, first position, sampler) tuples. */
export function batchOf(requests: RequestSpec[], extra: Record<string, unknown> = {}): ForwardBatch {
  const batch = { token_ids: [] as number[], position_ids: [] as number[], qo_indptr: [0], context_ids: [] as number[], samplers: [] as Sampler[], sampler_indptr: [0] };
  for (const [contextId, tokens, start, sampler] of requests) {
    tokens.forEach((t, i) => {
      batch.token_ids.push(t);
      batch.position_ids.push(start + i);
    });
    batch.qo_indptr.push(batch.token_ids.length);
    batch.context_ids.push(contextId);
    if (sampler) batch.samplers.push(sampler as Sampler);
    batch.sampler_indptr.push(batch.samplers.length);
  }
  return { ...batch, ...extra } as ForwardBatch;
}

export interface FixtureOptions {
  table?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
  /** Registers test doubles (policy, clock, launcher...) in the host container before the driver is created. */
  setup?: (container: DependencyContainer) => void;
}

/** A driver created through the plugin and a host registry, running the simulated engine. */
export function simulatedDriver(options: FixtureOptions = {}): DriverHandle {
  const { container, registry } = createHost();
  container.register(Tokens.Logger, { useValue: new MemoryLogger() });
  options.setup?.(container);
  const table = options.table ?? { type: 'tensorrt_llm', device: 'cuda:0' };
  return registry.resolve(String(table.type)).create({
    model: { name: 'test', hf_repo: 'sim/model' },
    table,
    simulate: true,
    readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
    env: { PIE_TRTLLM_LOG_LEVEL: 'WARNING', ...options.env },
  }) as DriverHandle;
}

/** Runs `body` with a started simulated driver, and disposes it whatever happens. */
export async function withDriver(options: FixtureOptions, body: (driver: DriverHandle) => Promise<void>): Promise<void> {
  const driver = simulatedDriver(options);
  try {
    await driver.start();
    await body(driver);
  } finally {
    await driver.dispose();
  }
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
