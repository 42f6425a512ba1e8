import { expect } from 'chai';
import { DataPointType, MeterProvider } from '@opentelemetry/sdk-metrics';
import { DriverMetrics } from '../../src/metrics/driver-metrics.js';
import { METRICS } from '../../src/metrics/metric-catalog.js';
import { OnDemandReader } from '../../src/metrics/metric-snapshot.js';
import type { ReplicaStatus } from '../../src/runtime/replica-status.js';
import { batchOf, GREEDY } from '../helpers/driver-fixture.js';

function recorder() {
  const reader = new OnDemandReader();
  const provider = new MeterProvider({ readers: [reader] });
  return { reader, provider, metrics: new DriverMetrics(provider, { name: 'm', hf_repo: 'org/m' }) };
}

async function histogram(reader: OnDemandReader, name: string) {
  const { resourceMetrics } = await reader.collect();
  const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
  if (!metric || metric.dataPointType !== DataPointType.HISTOGRAM) throw new Error(`no histogram ${name}`);
  return metric.dataPoints.map((p) => p.value);
}

describe('driver metrics, recorded directly', () => {
  it('measures a first token from the context\'s latest first forward, not from one it forgot', async () => {
    const { reader, provider, metrics } = recorder();
    const first = batchOf([[7, [1, 2], 0, GREEDY]]);
    const accepted = { results: [{ error: { code: 'ENGINE_ERROR' as const, message: 'x' } }], accepted: [0], samplers: [GREEDY] };
    metrics.forwardAccepted(first, [0], 0);
    metrics.forwardAnswered(first, accepted, 0, 1); // failed: no first token yet
    metrics.forgetContext(7); // released
    metrics.forwardAccepted(first, [0], 100);
    metrics.forwardAnswered(first, { results: [{ tokens: [5] }], accepted: [0], samplers: [GREEDY] }, 100, 103);
    const [ttft] = await histogram(reader, METRICS.timeToFirstToken.name);
    expect(ttft).to.deep.include({ count: 1, sum: 0.003 });
    await provider.shutdown();
  });

  it('measures a first token from the context\'s first forward, not from a later one that came before the token', async () => {
    // The catalog: "From a context's first forward request to its first token". A prefill at 0 ms
    // (no sampler, so no token), the prompt sent again with a sampler at 40 ms, its token at 45 ms.
    const { reader, provider, metrics } = recorder();
    const prefill = batchOf([[7, [1, 2], 0, undefined]]);
    metrics.forwardAccepted(prefill, [0], 0);
    metrics.forwardAnswered(prefill, { results: [{ tokens: [] }], accepted: [0], samplers: [] }, 0, 2);
    const again = batchOf([[7, [1, 2], 0, GREEDY]]);
    metrics.forwardAccepted(again, [0], 40);
    metrics.forwardAnswered(again, { results: [{ tokens: [5] }], accepted: [0], samplers: [GREEDY] }, 40, 45);
    const [ttft] = await histogram(reader, METRICS.timeToFirstToken.name);
    expect(ttft).to.deep.include({ count: 1, sum: 0.045 });
    await provider.shutdown();
  });

  it('uses the catalog\'s bucket boundaries', async () => {
    const { reader, provider, metrics } = recorder();
    const batch = batchOf([[1, [4], 3, GREEDY]]);
    metrics.stepAnswered('cuda:0', batch, [0], 0, 2);
    const [step] = await histogram(reader, METRICS.stepDuration.name);
    expect(step!.buckets.boundaries).to.deep.equal(METRICS.stepDuration.buckets);
    const [perToken] = await histogram(reader, METRICS.timePerOutputToken.name);
    expect(perToken!.buckets.boundaries).to.deep.equal(METRICS.timePerOutputToken.buckets);
    await provider.shutdown();
  });

  it('reports answered requests and tokens from 0, and every replica state, a failed replica as a give-up', async () => {
    const { reader, provider, metrics } = recorder();
    const replica = (device: string, state: ReplicaStatus['state']) => ({ device, pid: null, state, restarts: 2, engine_calls: 0, tokens_generated: 0, processes: [] }) as ReplicaStatus;
    metrics.observe(async () => [replica('cuda:0', 'ready'), replica('cuda:1', 'failed')]);
    const figures = await reader.figures();
    const series = (name: string) => figures.find((f) => f.name === name)!.series;
    expect(series(METRICS.requests.name)).to.deep.equal([{ attributes: { 'pie.model': 'm' }, value: 0 }]);
    expect(series(METRICS.tokens.name).map((s) => s.value)).to.deep.equal([0, 0]);
    const states = Object.fromEntries(series(METRICS.replicas.name).map((s) => [s.attributes['pie.driver.replica.state'], s.value]));
    expect(states).to.deep.equal({ idle: 0, starting: 0, ready: 1, restarting: 0, failed: 1, stopping: 0, stopped: 0 });
    expect(series(METRICS.replicaGiveUps.name).map((s) => [s.attributes['pie.driver.replica'], s.value])).to.deep.equal([['cuda:0', 0], ['cuda:1', 1]]);
    expect(series(METRICS.replicaRestarts.name).map((s) => s.value)).to.deep.equal([2, 2]);
    metrics.close();
    await provider.shutdown();
  });

  it('says why a collection failed', async () => {
    const reader = new OnDemandReader();
    const provider = new MeterProvider({ readers: [reader] });
    provider.getMeter('t').createObservableGauge('broken').addCallback(() => {
      throw new Error('the runtime is gone');
    });
    let message = '';
    await reader.figures().catch((error: Error) => (message = error.message));
    expect(message).to.equal('collecting metrics failed: the runtime is gone');
    await provider.shutdown();
  });

  it('names every failed callback, one after another, a thrown value that is not an Error included', async () => {
    const reader = new OnDemandReader();
    const provider = new MeterProvider({ readers: [reader] });
    const meter = provider.getMeter('t');
    meter.createObservableGauge('first').addCallback(() => {
      throw new Error('the runtime is gone');
    });
    meter.createObservableGauge('second').addCallback(() => {
      throw 'no status yet';
    });
    let message = '';
    await reader.figures().catch((error: Error) => (message = error.message));
    expect(message).to.equal('collecting metrics failed: the runtime is gone; no status yet');
    await provider.shutdown();
  });
});
