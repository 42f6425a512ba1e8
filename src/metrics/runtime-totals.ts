import type { ReplicaStatus } from '../runtime/replica-status.js';

const FIELDS = [
  'engine_calls',
  'engine_tokens',
  'engine_tokens_wasted',
  'lookahead_hits',
  'stream_waits',
  'sampling_hits',
  'sampling_waits',
  'streams_started',
  'sampling_streams_started',
] as const;

export type RuntimeCounts = Record<(typeof FIELDS)[number], number>;

function zeros(): RuntimeCounts {
  return Object.fromEntries(FIELDS.map((field) => [field, 0])) as RuntimeCounts;
}

/**
 * A replica's runtime counts from zero each time it starts; a counter an operator watches must not
 * go back. Per replica, the counts of every earlier runtime (the last seen of each) are carried
 * over, and while no runtime serves, the last seen counts stay.
 */
export class RuntimeTotals {
  private readonly replicas = new Map<string, { pid: number | undefined; carried: RuntimeCounts; last: RuntimeCounts }>();

  update(replica: ReplicaStatus): RuntimeCounts {
    let entry = this.replicas.get(replica.device);
    if (!entry) {
      entry = { pid: undefined, carried: zeros(), last: zeros() };
      this.replicas.set(replica.device, entry);
    }
    const runtime = replica.runtime;
    if (runtime) {
      if (runtime.pid !== entry.pid) {
        for (const field of FIELDS) entry.carried[field] += entry.last[field];
        entry.last = zeros();
        entry.pid = runtime.pid;
      }
      for (const field of FIELDS) {
        const value = runtime[field];
        // A count only grows within one runtime; anything else is ignored.
        if (typeof value === 'number' && Number.isSafeInteger(value) && value > entry.last[field]) entry.last[field] = value;
      }
    }
    const total = zeros();
    for (const field of FIELDS) total[field] = entry.carried[field] + entry.last[field];
    return total;
  }
}
