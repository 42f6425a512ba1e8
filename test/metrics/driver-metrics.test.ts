import 'reflect-metadata';
import { expect } from 'chai';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { METER_PROVIDER } from '../../src/metrics/meter-provider.js';
import { METRICS } from '../../src/metrics/metric-catalog.js';
import { type MetricFigure, OnDemandReader, type SeriesFigure } from '../../src/metrics/metric-snapshot.js';
import type { DriverHandle } from '../../src/plugin/driver-handle.js';
import type { Sampler } from '../../src/capabilities/forward-types.js';
import { batchOf, GREEDY, greedyContinuation, waitFor, withDriver } from '../helpers/driver-fixture.js';
import { Tokens } from '../../src/driver/tokens.js';
import { defaultPolicy } from '../../src/runtime/supervisor-policy.js';

/** A host that binds a MeterProvider under METER_PROVIDER, read on demand. */
function observedHost() {
  const reader = new OnDemandReader();
  const provider = new MeterProvider({ readers: [reader] });
  return { reader, provider, setup: (container: import('tsyringe').DependencyContainer) => container.register(METER_PROVIDER, { useValue: provider }) };
}

function series(figures: MetricFigure[], name: string, attributes: Record<string, string> = {}): SeriesFigure[] {
  const metric = figures.find((f) => f.name === name);
  return (metric?.series ?? []).filter((s) => Object.entries(attributes).every(([k, v]) => s.attributes[k] === v) && Object.keys(s.attributes).every((k) => k in attributes || !OUTCOME_KEYS.has(k)));
}

// Keys that split a metric's series: a filter that leaves one out means "absent".
const OUTCOME_KEYS = new Set(['error.type', 'gen_ai.token.type', 'pie.driver.lookahead.outcome', 'pie.driver.sampler', 'pie.driver.kv_cache.state', 'pie.driver.replica.state']);

function value(figures: MetricFigure[], name: string, attributes: Record<string, string> = {}): number | undefined {
  const found = series(figures, name, attributes);
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(attributes)} matches ${found.length} series`);
  return found[0]?.value ?? found[0]?.count;
}

/** Pie's decode loop on one context: the prompt, then each sampled token fed back. */
async function decode(driver: DriverHandle, context: number, prompt: number[], steps: number, sampler: Sampler = GREEDY): Promise<number[]> {
  const tokens: number[] = [];
  let input = prompt;
  let position = 0;
  for (let step = 0; step < steps; step++) {
    const [result] = await driver.forward(batchOf([[context, input, position, sampler]]));
    tokens.push((result as { tokens: number[] }).tokens[0]!);
    position += input.length;
    input = [tokens[tokens.length - 1]!];
  }
  return tokens;
}

const TABLE = { type: 'tensorrt_llm', device: 'cuda:0', options: { lookahead_stream_tokens: 32, lookahead_tokens: 4 } };

describe('metrics recorded through the host MeterProvider', function () {
  this.timeout(60_000);

  it('counts a decode loop: requests, tokens in and out, one first token, a step per token, the engine work and its waste', async () => {
    const host = observedHost();
    await withDriver({ table: TABLE, setup: host.setup }, async (driver) => {
      const prompt = [5, 6, 7, 8];
      expect(await decode(driver, 1, prompt, 10)).to.deep.equal(greedyContinuation(prompt, 10));
      const model = { 'pie.model': 'test' };
      let figures = await host.reader.figures();
      expect(value(figures, METRICS.requests.name, model)).to.equal(10);
      // The prompt and 9 fed-back tokens went in; 10 tokens came out.
      expect(value(figures, METRICS.tokens.name, { ...model, 'gen_ai.token.type': 'input' })).to.equal(4 + 9);
      expect(value(figures, METRICS.tokens.name, { ...model, 'gen_ai.token.type': 'output' })).to.equal(10);
      expect(value(figures, METRICS.timeToFirstToken.name, { 'gen_ai.request.model': 'sim/model', 'gen_ai.operation.name': 'text_completion' })).to.equal(1);
      expect(value(figures, METRICS.timePerOutputToken.name, { 'gen_ai.request.model': 'sim/model', 'gen_ai.operation.name': 'text_completion' })).to.equal(9);
      expect(value(figures, METRICS.forwardDuration.name, model)).to.equal(10);
      expect(value(figures, METRICS.stepDuration.name, { ...model, 'pie.driver.replica': 'cuda:0' })).to.equal(10);
      const replica = { ...model, 'pie.driver.replica': 'cuda:0' };
      // DESIGN §4: one stream request of lookahead_stream_tokens (32) tokens serves the 10 steps.
      expect(value(figures, METRICS.engineRequests.name, replica)).to.equal(1);
      expect(value(figures, METRICS.engineTokens.name, replica)).to.equal(32);
      expect(value(figures, METRICS.engineTokensWasted.name, replica)).to.equal(0);
      const greedy = { ...replica, 'pie.driver.sampler': 'greedy' };
      const hits = value(figures, METRICS.lookaheadSteps.name, { ...greedy, 'pie.driver.lookahead.outcome': 'hit' })!;
      const waits = value(figures, METRICS.lookaheadSteps.name, { ...greedy, 'pie.driver.lookahead.outcome': 'wait' })!;
      expect(hits + waits).to.equal(10);
      expect(waits).to.be.at.least(1); // the first token is waited for
      expect(value(figures, METRICS.streamsStarted.name, greedy)).to.equal(1);
      expect(value(figures, METRICS.streamsStarted.name, { ...replica, 'pie.driver.sampler': 'sampling' })).to.equal(0);
      expect(value(figures, METRICS.replicas.name, { ...model, 'pie.driver.replica.state': 'ready' })).to.equal(1);
      expect(value(figures, METRICS.replicas.name, { ...model, 'pie.driver.replica.state': 'failed' })).to.equal(0);
      expect(value(figures, METRICS.replicaRestarts.name, replica)).to.equal(0);
      expect(value(figures, METRICS.replicaGiveUps.name, replica)).to.equal(0);
      expect(value(figures, METRICS.residentMemory.name, replica)).to.be.above(1_000_000);
      expect(series(figures, METRICS.kvCacheBlocks.name)).to.deep.equal([]); // no iteration statistics asked for
      // Released after 10 of its 32 tokens: 22 made for nothing.
      await driver.release([1]);
      await waitFor(async () => {
        figures = await host.reader.figures();
        return value(figures, METRICS.engineTokensWasted.name, replica) === 32 - 10 || undefined;
      }, 10_000, 'the released stream counted as wasted');
      // A sampling loop (TorchSampler reads no seed): its own stream, its steps counted apart.
      await decode(driver, 2, prompt, 6, { type: 'top_k', temperature: 0.8, k: 20 });
      figures = await host.reader.figures();
      const sampling = { ...replica, 'pie.driver.sampler': 'sampling' };
      expect(value(figures, METRICS.streamsStarted.name, sampling)).to.equal(1);
      const sampled = ['hit', 'wait'].map((outcome) => value(figures, METRICS.lookaheadSteps.name, { ...sampling, 'pie.driver.lookahead.outcome': outcome })!);
      expect(sampled[0]! + sampled[1]!).to.equal(6);
      expect(value(figures, METRICS.engineRequests.name, replica)).to.equal(2);
      expect(value(figures, METRICS.lookaheadSteps.name, { ...greedy, 'pie.driver.lookahead.outcome': 'hit' })! + value(figures, METRICS.lookaheadSteps.name, { ...greedy, 'pie.driver.lookahead.outcome': 'wait' })!).to.equal(10);
    });
    await host.provider.shutdown();
  });

  it('counts refused requests by their stable code, apart from answered ones', async () => {
    const host = observedHost();
    await withDriver({ setup: host.setup }, async (driver) => {
      const results = await driver.forward(batchOf([[1, [1, 2, 3], 0, GREEDY], [2, [4, 5], 0, GREEDY], [3, [6], 0, GREEDY]], { adapter_bindings: [{ adapter_id: -1 }, { adapter_id: 2 }, { adapter_id: -1 }] }));
      expect(results.map((r) => ('error' in r ? r.error.code : 'ok'))).to.deep.equal(['ok', 'UNSUPPORTED_ADAPTER', 'ok']);
      await driver.forward(batchOf([[9, [1], 5, GREEDY]])); // no replayable prefix
      const figures = await host.reader.figures();
      expect(value(figures, METRICS.requests.name, { 'pie.model': 'test' })).to.equal(2);
      expect(value(figures, METRICS.requests.name, { 'pie.model': 'test', 'error.type': 'UNSUPPORTED_ADAPTER' })).to.equal(1);
      expect(value(figures, METRICS.requests.name, { 'pie.model': 'test', 'error.type': 'MISSING_REPLAY_PREFIX' })).to.equal(1);
      // Refused requests send nothing to the engine: only the 4 accepted prompt tokens count.
      expect(value(figures, METRICS.tokens.name, { 'pie.model': 'test', 'gen_ai.token.type': 'input' })).to.equal(4);
    });
    await host.provider.shutdown();
  });

  it('reports KV cache blocks when TensorRT-LLM makes iteration statistics', async () => {
    const host = observedHost();
    const table = { ...TABLE, options: { ...TABLE.options, llm_kwargs: { enable_iter_perf_stats: true, kv_cache_config: { max_tokens: 6400, tokens_per_block: 64 } } } };
    await withDriver({ table, setup: host.setup }, async (driver) => {
      await decode(driver, 1, Array.from({ length: 40 }, (_, i) => i + 1), 2);
      const figures = await host.reader.figures();
      const replica = { 'pie.model': 'test', 'pie.driver.replica': 'cuda:0' };
      // 40 prompt tokens and a stream of 32: 72 tokens fill 2 blocks of 64, of 6400 / 64 = 100.
      expect(value(figures, METRICS.kvCacheBlocks.name, { ...replica, 'pie.driver.kv_cache.state': 'used' })).to.equal(2);
      expect(value(figures, METRICS.kvCacheBlocks.name, { ...replica, 'pie.driver.kv_cache.state': 'free' })).to.equal(98);
    });
    await host.provider.shutdown();
  });

  it('counts a restart, and the engine counters do not go back when the new runtime counts from zero', async () => {
    const host = observedHost();
    await withDriver({ table: TABLE, setup: host.setup }, async (driver) => {
      await decode(driver, 1, [1, 2, 3], 3);
      const replica = { 'pie.model': 'test', 'pie.driver.replica': 'cuda:0' };
      const before = await host.reader.figures();
      expect(value(before, METRICS.engineRequests.name, replica)).to.equal(1);
      const [status] = (await driver.status()) as { pid: number }[];
      process.kill(status!.pid, 'SIGKILL');
      await waitFor(async () => {
        const [s] = (await driver.status()) as { state: string; restarts: number }[];
        return (s!.state === 'ready' && s!.restarts === 1) || undefined;
      }, 20_000, 'the restart');
      await decode(driver, 2, [4, 5, 6], 3);
      const after = await host.reader.figures();
      expect(value(after, METRICS.replicaRestarts.name, replica)).to.equal(1);
      // One stream request before the kill, one after it: 2, not the new runtime's 1.
      expect(value(after, METRICS.engineRequests.name, replica)).to.equal(2);
      expect(value(after, METRICS.engineTokens.name, replica)).to.equal(64);
    });
    await host.provider.shutdown();
  });

  it('reports no counts and reads no status once the driver is disposed', async () => {
    const host = observedHost();
    await withDriver({ setup: host.setup }, async (driver) => {
      await decode(driver, 1, [1, 2], 1);
    });
    const figures = await host.reader.figures();
    expect(series(figures, METRICS.replicas.name)).to.deep.equal([]);
    expect(series(figures, METRICS.requests.name)).to.deep.equal([]);
    // Its histograms keep what was recorded while it served.
    expect(value(figures, METRICS.forwardDuration.name, { 'pie.model': 'test' })).to.equal(1);
    await host.provider.shutdown();
  });

  it('status and metrics across a crash and the recovery: every field before, during and after', async () => {
    const host = observedHost();
    const policy = { ...defaultPolicy, backoffBaseMs: 1500, backoffMaxMs: 1500, shutdownGraceMs: 1000 };
    await withDriver({ table: TABLE, setup: (c) => { host.setup(c); c.register(Tokens.SupervisorPolicy, { useValue: policy }); } }, async (driver) => {
      const states = async () => Object.fromEntries((await host.reader.figures()).find((f) => f.name === METRICS.replicas.name)!.series.filter((s) => s.value !== 0).map((s) => [s.attributes['pie.driver.replica.state'], s.value]));
      const restarts = async () => value(await host.reader.figures(), METRICS.replicaRestarts.name, { 'pie.model': 'test', 'pie.driver.replica': 'cuda:0' });
      await driver.forward(batchOf([[1, [5, 6, 7], 0, GREEDY]]));
      const [before] = await driver.status();
      // One greedy step on a new context: one stream, one engine request, one token (DESIGN §3).
      expect(before).to.deep.include({ device: 'cuda:0', state: 'ready', restarts: 0, engine_calls: 1, tokens_generated: 1 });
      expect(before).not.to.have.property('reason');
      expect(before!.runtime).to.include({ contexts: 1, tokens_generated: 1 });
      expect([await states(), await restarts()]).to.deep.equal([{ ready: 1 }, 0]);

      process.kill(before!.pid!, 'SIGKILL');
      const during = await waitFor(async () => ((await driver.status())[0]!.state === 'restarting' ? (await driver.status())[0] : undefined), 5000, 'the restart');
      // Not serving: no pid, no counters, no runtime, and why.
      expect(during).to.deep.equal({ device: 'cuda:0', pid: null, state: 'restarting', restarts: 0, engine_calls: 0, tokens_generated: 0, reason: 'exited (SIGKILL)', processes: [] });
      expect(await states()).to.deep.equal({ restarting: 1 });

      const after = await waitFor(async () => ((await driver.status())[0]!.state === 'ready' ? (await driver.status())[0] : undefined), 15_000, 'ready again');
      // A new process: its own counters from 0, one restart, and no reason any more.
      expect(after).to.deep.include({ device: 'cuda:0', state: 'ready', restarts: 1, engine_calls: 0, tokens_generated: 0 });
      expect(after!.pid).to.be.a('number').and.not.equal(before!.pid);
      expect(after).not.to.have.property('reason');
      expect(after!.runtime).to.include({ contexts: 0, tokens_generated: 0 });
      expect([await states(), await restarts()]).to.deep.equal([{ ready: 1 }, 1]);
      expect(value(await host.reader.figures(), METRICS.replicaGiveUps.name, { 'pie.model': 'test', 'pie.driver.replica': 'cuda:0' })).to.equal(0);
    });
  });
});

