import { expect } from 'chai';
import { RuntimeTotals } from '../../src/metrics/runtime-totals.js';
import type { ReplicaStatus } from '../../src/runtime/replica-status.js';

function replica(device: string, runtime?: { pid: number } & Record<string, unknown>): ReplicaStatus {
  return {
    device,
    pid: runtime?.pid ?? null,
    state: runtime ? 'ready' : 'restarting',
    restarts: 0,
    engine_calls: 0,
    tokens_generated: 0,
    processes: [],
    ...(runtime ? { runtime: { engine_calls: 0, tokens_generated: 0, ...runtime } } : {}),
  } as ReplicaStatus;
}

describe('runtime counts that never go back', () => {
  it('carries a dead runtime\'s last counts over to its replacement, per replica', () => {
    const totals = new RuntimeTotals();
    expect(totals.update(replica('cuda:0', { pid: 10, engine_calls: 3, engine_tokens: 40 }))).to.deep.include({ engine_calls: 3, engine_tokens: 40 });
    expect(totals.update(replica('cuda:1', { pid: 11, engine_calls: 1 }))).to.deep.include({ engine_calls: 1 });
    // cuda:0 restarting: no runtime, the last counts stay.
    expect(totals.update(replica('cuda:0'))).to.deep.include({ engine_calls: 3, engine_tokens: 40 });
    // Its new runtime counts from zero: 3 + 2 and 40 + 5.
    expect(totals.update(replica('cuda:0', { pid: 12, engine_calls: 2, engine_tokens: 5 }))).to.deep.include({ engine_calls: 5, engine_tokens: 45 });
    expect(totals.update(replica('cuda:1', { pid: 11, engine_calls: 4 }))).to.deep.include({ engine_calls: 4 });
  });

  it('ignores a count that goes back, or is not a count, within one runtime', () => {
    const totals = new RuntimeTotals();
    totals.update(replica('cuda:0', { pid: 10, lookahead_hits: 7, stream_waits: 2 }));
    for (const bad of [6, -1, 7.5, '9', null, 2 ** 53]) {
      expect(totals.update(replica('cuda:0', { pid: 10, lookahead_hits: bad, stream_waits: 2 })).lookahead_hits, String(bad)).to.equal(7);
    }
    expect(totals.update(replica('cuda:0', { pid: 10, lookahead_hits: 8 })).lookahead_hits).to.equal(8);
    expect(totals.update(replica('cuda:0', { pid: 10, engine_tokens_wasted: 2 ** 53 - 1 })).engine_tokens_wasted).to.equal(2 ** 53 - 1);
  });
});
