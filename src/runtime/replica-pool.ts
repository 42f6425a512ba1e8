import type { ReplicaStatus } from './replica-status.js';
import type { RuntimeSupervisor } from './runtime-supervisor.js';
import type { Logger } from './logger.js';

/**
 * One runtime per device (data-parallel replicas). A context stays on the replica that first saw
 * it; a new context goes to the replica with the fewest contexts. A placement ends when its
 * runtime evicts or releases the context, or dies.
 */
export class ReplicaPool {
  private readonly placement = new Map<number, number>();
  private readonly counts: number[];
  private readonly lostListeners: ((contextIds: number[]) => void)[] = [];

  constructor(
    readonly replicas: RuntimeSupervisor[],
    private readonly logger: Logger,
  ) {
    this.counts = replicas.map(() => 0);
    replicas.forEach((replica, index) => replica.onContextsLost(() => this.forgetReplica(index)));
  }

  /** Listeners learn which contexts died with their replica. */
  onContextsLost(listener: (contextIds: number[]) => void): void {
    this.lostListeners.push(listener);
  }

  async start(): Promise<void> {
    const results = await Promise.allSettled(this.replicas.map((r) => r.start()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.shutdown();
      throw failed.reason;
    }
  }

  /** The replica index serving `contextId`, placing it if new. */
  route(contextId: number): number {
    const existing = this.placement.get(contextId);
    if (existing !== undefined) return existing;
    let best = -1;
    for (let i = 0; i < this.replicas.length; i++) {
      const usable = this.replicas[i]!.state === 'ready';
      if (best < 0 || (usable && this.replicas[best]!.state !== 'ready') || (usable === (this.replicas[best]!.state === 'ready') && this.counts[i]! < this.counts[best]!)) best = i;
    }
    this.place(contextId, best);
    return best;
  }

  /** Puts a context on a given replica (a fork child goes where its parent lives). */
  place(contextId: number, index: number): void {
    const previous = this.placement.get(contextId);
    if (previous !== undefined) {
      this.counts[previous]!--;
      this.placement.delete(contextId);
    }
    this.placement.set(contextId, index);
    this.counts[index]!++;
  }

  replicaOf(contextId: number): number | undefined {
    return this.placement.get(contextId);
  }

  forget(contextId: number): void {
    const index = this.placement.get(contextId);
    if (index === undefined) return;
    this.placement.delete(contextId);
    this.counts[index]!--;
  }

  private forgetReplica(index: number): void {
    const lost: number[] = [];
    for (const [contextId, replica] of this.placement) if (replica === index) lost.push(contextId);
    for (const contextId of lost) this.placement.delete(contextId);
    this.counts[index] = 0;
    if (lost.length) this.logger.info(`replica ${this.replicas[index]!.device} lost ${lost.length} contexts`);
    for (const listener of this.lostListeners) listener(lost);
  }

  status(options: { processes?: boolean } = {}): Promise<ReplicaStatus[]> {
    return Promise.all(this.replicas.map((r) => r.status(options)));
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.shutdown()));
  }
}
