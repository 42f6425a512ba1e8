import { inject, injectable } from 'tsyringe';
import { type CapabilityReport, combineCapabilities } from '../capabilities/capability-report.js';
import { isRequestErrorCode } from '../capabilities/error-codes.js';
import type { ForwardBatch, ForwardResult } from '../capabilities/forward-types.js';
import { rejection } from '../capabilities/forward-types.js';
import { OperationError } from '../capabilities/operation-error.js';
import type { GateOutcome, RequestGate } from '../capabilities/request-gate.js';
import type { ReplayTracker } from '../capabilities/replay-tracker.js';
import type { RuntimeReply, RuntimeResult } from '../runtime/generated/wire-messages.js';
import { unpackU32 } from '../runtime/array-packing.js';
import { packedSubBatch } from '../runtime/packed-batch.js';
import type { Logger } from '../runtime/logger.js';
import type { DriverMetrics } from '../metrics/driver-metrics.js';
import type { ReplicaPool } from '../runtime/replica-pool.js';
import { RuntimeError } from '../runtime/runtime-errors.js';
import type { ReplicaStatus } from '../runtime/replica-status.js';
import { executionModeNote } from '../config/execution-mode.js';
import type { DriverSettings } from './driver-settings.js';
import { Tokens } from './tokens.js';

function isContextId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Items grouped by the replica each belongs to, in order; items without a replica are left out. */
function groupByReplica<T>(items: readonly T[], replicaOf: (item: T) => number | undefined): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const replica = replicaOf(item);
    if (replica === undefined) continue;
    const group = groups.get(replica);
    if (group) group.push(item);
    else groups.set(replica, [item]);
  }
  return groups;
}

/**
 * The driver instance a host gets: the request gate in front of a pool of runtimes. Every request
 * gets exactly one result, in order; an unsupported one is answered by the gate and never runs.
 */
@injectable()
export class TensorRtLlmDriver {
  private report: CapabilityReport | undefined;
  private started: Promise<CapabilityReport> | undefined;
  /** Per context, the id of the latest message sent that touched it (ids count up in send order). */
  private readonly lastSent = new Map<number, number>();
  private disposed: Promise<void> | undefined;

  constructor(
    @inject(Tokens.RequestGate) private readonly gate: RequestGate,
    @inject(Tokens.ReplayTracker) private readonly tracker: ReplayTracker,
    @inject(Tokens.ReplicaPool) private readonly pool: ReplicaPool,
    @inject(Tokens.Logger) private readonly logger: Logger,
    @inject(Tokens.DriverMetrics) private readonly metrics: DriverMetrics,
    @inject(Tokens.DriverSettings) private readonly settings: DriverSettings,
  ) {
    pool.onContextsLost((ids) => ids.forEach((id) => {
      tracker.forget(id);
      metrics.forgetContext(id);
      this.lastSent.delete(id);
    }));
    // Collection asks often: the runtimes' counts only, not the process lists (a /proc scan).
    metrics.observe(() => pool.status({ processes: false }));
  }

  /** Starts every replica and waits for their handshakes. */
  start(): Promise<CapabilityReport> {
    if (this.disposed) {
      return Promise.reject(new RuntimeError('RUNTIME_UNAVAILABLE', "the driver was disposed: it does not start again; create another with the descriptor's create()"));
    }
    const note = this.started ? undefined : executionModeNote(this.settings.config.options);
    if (note) this.logger.info(note);
    this.started ??= this.pool.start().then(() => {
      this.report = combineCapabilities(this.pool.replicas.map((r) => ({ device: r.device, capabilities: r.capabilities! })));
      this.gate.setVocabulary(this.report.vocab_size);
      this.gate.setLimits({ maxRequests: this.report.max_forward_requests, maxTokens: this.report.max_forward_tokens, maxModelLen: this.report.max_model_len });
      this.gate.setSamplerSupport({ samplerType: this.report.sampler_type ?? 'TorchSampler', seeded: this.report.supports_seeded_sampling, minP: this.report.supports_min_p });
      return this.report;
    });
    return this.started;
  }

  capabilities(): CapabilityReport {
    if (!this.report) throw new RuntimeError('RUNTIME_UNAVAILABLE', 'the driver has not been started; call start() first');
    return this.report;
  }

  /** Which engine the runtimes run (TensorRT-LLM and its version, or the simulated one). */
  engine(): { name: string; version: string } | undefined {
    return this.pool.replicas[0]?.engine;
  }

  async forward(batch: ForwardBatch): Promise<ForwardResult[]> {
    const started = performance.now();
    const outcome = this.gate.classify(batch);
    if (outcome.accepted.length > 0) {
      this.metrics.forwardAccepted(batch, outcome.accepted, started);
      await this.run(batch, outcome);
    }
    this.metrics.forwardAnswered(batch, outcome, started, performance.now());
    return outcome.results as ForwardResult[];
  }

  private async run(batch: ForwardBatch, outcome: GateOutcome): Promise<void> {
    const byReplica = groupByReplica(outcome.accepted, (r) => this.pool.route(batch.context_ids[r]!));
    await Promise.all(
      [...byReplica].map(async ([replica, indices]) => {
        const results = outcome.results;
        const runtime = this.pool.replicas[replica]!;
        try {
          const sent = performance.now();
          const reply = await runtime.call({ op: 'forward', batch: packedSubBatch(batch, indices, outcome.samplers) }, (id) => {
            for (const r of indices) this.lastSent.set(batch.context_ids[r]!, id);
          });
          this.metrics.stepAnswered(runtime.device, batch, indices, sent, performance.now());
          this.forgetEvicted(reply);
          if (reply.tokens !== undefined) {
            // Every request got one token: the reply is one packed array.
            const tokens = unpackU32(reply.tokens);
            if (tokens.length === indices.length) {
              for (let i = 0; i < indices.length; i++) results[indices[i]!] = { tokens: [tokens[i]!] };
              return;
            }
          }
          const answers = reply.results;
          if (!answers || answers.length !== indices.length) {
            const why = reply.error ? reply.error.message : `the runtime answered ${answers?.length ?? 0} results for ${indices.length} requests`;
            const failure = rejection(reply.error && isRequestErrorCode(reply.error.code) ? reply.error.code : 'ENGINE_ERROR', why);
            for (const r of indices) results[r] = failure;
            return;
          }
          for (let i = 0; i < indices.length; i++) results[indices[i]!] = this.toResult(answers[i]!);
        } catch (error) {
          // A message refused before it was sent keeps its own code; anything else means the
          // runtime could not be reached.
          const code = (error as RuntimeError).code === 'INVALID_REQUEST' ? 'INVALID_REQUEST' : 'RUNTIME_UNAVAILABLE';
          const failure = rejection(code, (error as Error).message.split('\n')[0]!);
          for (const r of indices) results[r] = failure;
        }
      }),
    );
  }

  /** Contexts the runtime evicted are forgotten here too, so the gate and the placement mirror it;
   *  but not one that a later message has touched since: the runtime handles that message after
   *  the eviction, so its state (re-created, or refused) is what that message's reply says. */
  private forgetEvicted(reply: RuntimeReply): void {
    for (const id of reply.evicted ?? []) {
      if ((this.lastSent.get(id) ?? 0) > (reply.id ?? Infinity)) continue;
      this.forgetContext(id);
    }
  }

  private forgetContext(id: number): void {
    this.tracker.forget(id);
    this.metrics.forgetContext(id);
    this.pool.forget(id);
    this.lastSent.delete(id);
  }

  private toResult(answer: RuntimeResult): ForwardResult {
    if (Array.isArray(answer)) return { tokens: answer };
    const { code, message } = answer.error;
    return rejection(isRequestErrorCode(code) ? code : 'ENGINE_ERROR', message);
  }

  /** Frees the contexts' histories wherever they live. */
  async release(contextIds: number[]): Promise<void> {
    if (!Array.isArray(contextIds) || !contextIds.every(isContextId)) throw new OperationError('INVALID_REQUEST', '`context_ids` must be an array of non-negative integers');
    const byReplica = groupByReplica(contextIds, (id) => this.pool.replicaOf(id));
    for (const id of contextIds) this.forgetContext(id);
    await Promise.all([...byReplica].map(([replica, ids]) => this.callReplica(replica, { op: 'release', context_ids: ids })));
  }

  /** The child starts with the first `length` replayable tokens of the parent, on the parent's replica. */
  async fork(parent: number, child: number, length: number): Promise<void> {
    if (!isContextId(parent) || !isContextId(child) || !isContextId(length)) throw new OperationError('INVALID_REQUEST', 'fork needs integer `parent`, `child` and `length` ≥ 0');
    if (parent === child) throw new OperationError('INVALID_REQUEST', 'a context cannot be forked onto itself');
    const known = this.tracker.length(parent);
    const replica = this.pool.replicaOf(parent);
    if (replica === undefined || length > known) {
      throw new OperationError('MISSING_REPLAY_PREFIX', `fork of ${length} tokens from context ${parent}, but the driver can replay ${replica === undefined ? 'none' : known} of its tokens; send the parent's tokens first`);
    }
    // The bookkeeping changes before anything is awaited: a forward on the child sent right
    // after this call (not awaiting it) is routed and admitted as if the fork were done, and
    // reaches the runtime after the fork message.
    const previous = this.pool.replicaOf(child);
    this.pool.place(child, replica);
    this.tracker.forget(child);
    this.metrics.forgetContext(child);
    this.tracker.extend(child, length);
    const touched = (id: number) => {
      this.lastSent.set(parent, id);
      this.lastSent.set(child, id);
    };
    const [forked, released] = await Promise.allSettled([
      this.callReplica(replica, { op: 'fork', parent, child, length }, touched),
      previous !== undefined && previous !== replica ? this.callReplica(previous, { op: 'release', context_ids: [child] }) : undefined,
    ]);
    if (forked.status === 'rejected') {
      this.forgetContext(child);
      throw forked.reason;
    }
    // The fork holds; the old copy on another replica could not be freed (that runtime is gone or
    // failing, and takes its contexts with it).
    if (released.status === 'rejected') this.logger.warn(`fork ${parent} → ${child}: the child's old history on replica ${previous} was not released: ${(released.reason as Error).message}`);
  }

  private async callReplica(replica: number, message: { op: string } & Record<string, unknown>, onSent?: (id: number) => void): Promise<void> {
    let reply;
    try {
      reply = await this.pool.replicas[replica]!.call(message, onSent);
    } catch (error) {
      throw new OperationError('RUNTIME_UNAVAILABLE', (error as Error).message.split('\n')[0]!);
    }
    this.forgetEvicted(reply);
    if (reply.error) throw new OperationError(isRequestErrorCode(reply.error.code) ? reply.error.code : 'ENGINE_ERROR', reply.error.message);
  }

  status(): Promise<ReplicaStatus[]> {
    return this.pool.status();
  }

  /** Once: the handle disposes the driver, then its container disposes what it resolved again. */
  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      this.metrics.close();
      this.logger.info('shutting down the runtimes');
      await this.pool.shutdown();
    })();
    return this.disposed;
  }
}
