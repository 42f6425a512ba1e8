import type { Attributes, BatchObservableResult, Histogram, Meter, MeterProvider, Observable, ObservableCounter, ObservableGauge } from '@opentelemetry/api';
import type { ForwardBatch, ForwardResult } from '../capabilities/forward-types.js';
import type { GateOutcome } from '../capabilities/request-gate.js';
import type { ReplicaState, ReplicaStatus } from '../runtime/replica-status.js';
import { Attr, type MetricDefinition, METRICS } from './metric-catalog.js';
import { METER_NAME } from './meter-provider.js';
import { RuntimeTotals } from './runtime-totals.js';

const REPLICA_STATES: readonly ReplicaState[] = ['idle', 'starting', 'ready', 'restarting', 'failed', 'stopping', 'stopped'];

/** A context's first forward starts at position 0 (a replay after a runtime died does too). */
function startsAtZero(batch: ForwardBatch, request: number): boolean {
  return batch.position_ids[batch.qo_indptr[request]!] === 0;
}

function options(definition: MetricDefinition) {
  return {
    description: definition.description,
    unit: definition.unit,
    ...(definition.buckets ? { advice: { explicitBucketBoundaries: [...definition.buckets] } } : {}),
  };
}

/**
 * The driver's instruments. The hot path (a forward call) adds to plain counts and records three
 * histograms (the call, the replica's step, the time per token); attribute sets are built once.
 * What the runtimes count (engine requests and tokens, lookahead, memory, KV cache) is read from
 * their `status` when a reader collects, never on the decode path.
 */
export class DriverMetrics {
  private readonly meter: Meter;
  private readonly requests: ObservableCounter;
  private readonly tokens: ObservableCounter;
  private readonly firstToken: Histogram;
  private readonly perToken: Histogram;
  private readonly forwardDuration: Histogram;
  private readonly stepDuration: Histogram;
  private readonly observables: Observable[];
  private readonly base: Attributes;
  private readonly genAi: Attributes;
  private readonly input: Attributes;
  private readonly output: Attributes;
  private readonly byCode = new Map<string, Attributes>();
  private readonly byReplica = new Map<string, Attributes>();
  // Request and token counts are plain numbers on the decode path, reported when a reader collects:
  // an SDK counter's add hashes its attributes on every call.
  private answered = 0;
  private readonly refused = new Map<string, number>();
  private inputTokens = 0;
  private outputTokens = 0;
  private readonly countsObserved: (result: BatchObservableResult) => void;
  /** Contexts whose first forward came and whose first token has not: when that forward began. */
  private readonly awaitingFirstToken = new Map<number, number>();
  private readonly totals = new RuntimeTotals();
  private observed: ((result: BatchObservableResult) => Promise<void>) | undefined;

  constructor(provider: MeterProvider, model: { name: string; hf_repo: string }) {
    this.meter = provider.getMeter(METER_NAME);
    this.base = { [Attr.model]: model.name };
    this.genAi = { [Attr.requestModel]: model.hf_repo, [Attr.operation]: 'text_completion' };
    this.input = { ...this.base, [Attr.tokenType]: 'input' };
    this.output = { ...this.base, [Attr.tokenType]: 'output' };
    this.requests = this.meter.createObservableCounter(METRICS.requests.name, options(METRICS.requests));
    this.tokens = this.meter.createObservableCounter(METRICS.tokens.name, options(METRICS.tokens));
    this.countsObserved = (result) => {
      // The answered and token series start at 0 (a rate needs a first point); an error code's at
      // its first request.
      result.observe(this.requests, this.answered, this.base);
      for (const [code, count] of this.refused) result.observe(this.requests, count, this.codeAttributes(code));
      result.observe(this.tokens, this.inputTokens, this.input);
      result.observe(this.tokens, this.outputTokens, this.output);
    };
    this.meter.addBatchObservableCallback(this.countsObserved, [this.requests, this.tokens]);
    this.firstToken = this.meter.createHistogram(METRICS.timeToFirstToken.name, options(METRICS.timeToFirstToken));
    this.perToken = this.meter.createHistogram(METRICS.timePerOutputToken.name, options(METRICS.timePerOutputToken));
    this.forwardDuration = this.meter.createHistogram(METRICS.forwardDuration.name, options(METRICS.forwardDuration));
    this.stepDuration = this.meter.createHistogram(METRICS.stepDuration.name, options(METRICS.stepDuration));
    this.observables = [];
  }

  /** Once the gate has accepted requests, before they are sent: notes contexts that begin. */
  forwardAccepted(batch: ForwardBatch, accepted: readonly number[], startedMs: number): void {
    for (const r of accepted) {
      if (!startsAtZero(batch, r)) continue;
      const id = batch.context_ids[r]!;
      if (!this.awaitingFirstToken.has(id)) this.awaitingFirstToken.set(id, startedMs);
    }
  }

  /** One replica answered its part of a forward call. */
  stepAnswered(replica: string, batch: ForwardBatch, indices: readonly number[], startedMs: number, endedMs: number): void {
    let attributes = this.byReplica.get(replica);
    if (!attributes) {
      attributes = { ...this.base, [Attr.replica]: replica };
      this.byReplica.set(replica, attributes);
    }
    const seconds = (endedMs - startedMs) / 1000;
    this.stepDuration.record(seconds, attributes);
    for (const r of indices) {
      if (!startsAtZero(batch, r)) {
        this.perToken.record(seconds, this.genAi);
        break;
      }
    }
  }

  /** Every request of a forward call has its result. */
  forwardAnswered(batch: ForwardBatch, outcome: GateOutcome, startedMs: number, endedMs: number): void {
    const results = outcome.results as ForwardResult[];
    let ok = 0;
    let output = 0;
    const awaiting = this.awaitingFirstToken;
    for (let r = 0; r < results.length; r++) {
      const result = results[r]!;
      if ('tokens' in result) {
        ok++;
        output += result.tokens.length;
        if (awaiting.size > 0 && result.tokens.length > 0) {
          const id = batch.context_ids[r]!;
          const began = awaiting.get(id);
          if (began !== undefined) {
            awaiting.delete(id);
            this.firstToken.record((endedMs - began) / 1000, this.genAi);
          }
        }
      } else {
        this.refused.set(result.error.code, (this.refused.get(result.error.code) ?? 0) + 1);
      }
    }
    let input = 0;
    const indptr = batch.qo_indptr;
    for (const r of outcome.accepted) input += indptr[r + 1]! - indptr[r]!;
    this.answered += ok;
    this.inputTokens += input;
    this.outputTokens += output;
    this.forwardDuration.record((endedMs - startedMs) / 1000, this.base);
  }

  /** A context is gone (released, evicted, lost with its runtime). */
  forgetContext(id: number): void {
    this.awaitingFirstToken.delete(id);
  }

  private codeAttributes(code: string): Attributes {
    let attributes = this.byCode.get(code);
    if (!attributes) {
      attributes = { ...this.base, [Attr.errorType]: code };
      this.byCode.set(code, attributes);
    }
    return attributes;
  }

  /** What the runtimes count, read from their status whenever a reader collects. */
  observe(status: () => Promise<ReplicaStatus[]>): void {
    const counter = (definition: MetricDefinition): ObservableCounter => this.meter.createObservableCounter(definition.name, options(definition));
    const gauge = (definition: MetricDefinition): ObservableGauge => this.meter.createObservableGauge(definition.name, options(definition));
    const engineRequests = counter(METRICS.engineRequests);
    const engineTokens = counter(METRICS.engineTokens);
    const wasted = counter(METRICS.engineTokensWasted);
    const lookahead = counter(METRICS.lookaheadSteps);
    const streams = counter(METRICS.streamsStarted);
    const replicas = gauge(METRICS.replicas);
    const restarts = counter(METRICS.replicaRestarts);
    const giveUps = counter(METRICS.replicaGiveUps);
    const memory = gauge(METRICS.residentMemory);
    const blocks = gauge(METRICS.kvCacheBlocks);
    this.observables.push(engineRequests, engineTokens, wasted, lookahead, streams, replicas, restarts, giveUps, memory, blocks);
    this.observed = async (result) => {
      const states = await status();
      const byState = new Map<ReplicaState, number>(REPLICA_STATES.map((s) => [s, 0]));
      for (const replica of states) {
        byState.set(replica.state, (byState.get(replica.state) ?? 0) + 1);
        const at = { ...this.base, [Attr.replica]: replica.device };
        const totals = this.totals.update(replica);
        result.observe(engineRequests, totals.engine_calls, at);
        result.observe(engineTokens, totals.engine_tokens, at);
        result.observe(wasted, totals.engine_tokens_wasted, at);
        // The runtime counts every stream step, and the sampling ones apart.
        const greedy = { ...at, [Attr.sampler]: 'greedy' };
        const sampling = { ...at, [Attr.sampler]: 'sampling' };
        result.observe(lookahead, totals.lookahead_hits - totals.sampling_hits, { ...greedy, [Attr.lookahead]: 'hit' });
        result.observe(lookahead, totals.stream_waits - totals.sampling_waits, { ...greedy, [Attr.lookahead]: 'wait' });
        result.observe(lookahead, totals.sampling_hits, { ...sampling, [Attr.lookahead]: 'hit' });
        result.observe(lookahead, totals.sampling_waits, { ...sampling, [Attr.lookahead]: 'wait' });
        result.observe(streams, totals.streams_started - totals.sampling_streams_started, greedy);
        result.observe(streams, totals.sampling_streams_started, sampling);
        result.observe(restarts, replica.restarts, at);
        result.observe(giveUps, replica.state === 'failed' ? 1 : 0, at);
        const runtime = replica.runtime;
        if (typeof runtime?.resident_bytes === 'number') result.observe(memory, runtime.resident_bytes, at);
        if (runtime?.kv_cache) {
          result.observe(blocks, runtime.kv_cache.used_blocks, { ...at, [Attr.blockState]: 'used' });
          result.observe(blocks, runtime.kv_cache.free_blocks, { ...at, [Attr.blockState]: 'free' });
        }
      }
      for (const [state, count] of byState) result.observe(replicas, count, { ...this.base, [Attr.replicaState]: state });
    };
    this.meter.addBatchObservableCallback(this.observed, this.observables);
  }

  /** Stops reading the runtimes' status (the driver is disposed). */
  close(): void {
    this.meter.removeBatchObservableCallback(this.countsObserved, [this.requests, this.tokens]);
    if (this.observed) this.meter.removeBatchObservableCallback(this.observed, this.observables);
    this.observed = undefined;
  }
}
