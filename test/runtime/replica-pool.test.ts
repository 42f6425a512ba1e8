import { expect } from 'chai';
import { MemoryLogger } from '../../src/runtime/logger.js';
import { ReplicaPool } from '../../src/runtime/replica-pool.js';
import type { RuntimeSupervisor } from '../../src/runtime/runtime-supervisor.js';

/** A replica with only what the pool reads: its state, its device, and a way to make it die. */
class FakeReplica {
  state = 'ready';
  private lost: (() => void)[] = [];
  constructor(readonly device: string) {}
  onContextsLost(listener: () => void): void {
    this.lost.push(listener);
  }
  die(): void {
    this.state = 'restarting';
    for (const listener of this.lost) listener();
  }
}

function pool(devices: string[]) {
  const replicas = devices.map((d) => new FakeReplica(d));
  const logger = new MemoryLogger();
  return { pool: new ReplicaPool(replicas as unknown as RuntimeSupervisor[], logger), replicas, logger };
}

describe('ReplicaPool placement', () => {
  it('places a new context on the ready replica with the fewest contexts, first on a tie, and keeps it there', () => {
    const { pool: p } = pool(['cuda:0', 'cuda:1', 'cuda:2']);
    expect([1, 2, 3, 4, 5].map((c) => p.route(c))).to.deep.equal([0, 1, 2, 0, 1]);
    expect(p.route(1)).to.equal(0);
    expect(p.replicaOf(4)).to.equal(0);
    expect(p.replicaOf(99)).to.equal(undefined);
  });

  it('prefers a ready replica over one that is not, whatever their loads', () => {
    const { pool: p, replicas } = pool(['cuda:0', 'cuda:1']);
    replicas[0]!.state = 'restarting';
    expect(p.route(1), 'the first replica is down').to.equal(1);
    expect(p.route(2), 'the ready one, though it holds more').to.equal(1);
    replicas[0]!.state = 'ready';
    replicas[1]!.state = 'failed';
    expect([3, 4, 5, 6].map((c) => p.route(c)), 'the only ready one, also once it holds more than the failed one').to.deep.equal([0, 0, 0, 0]);
    replicas[1]!.state = 'ready';
    expect(p.route(7), 'both ready: fewest contexts (4 against 2)').to.equal(1);
  });

  it('falls back to the least loaded replica when none is ready', () => {
    const { pool: p, replicas } = pool(['cuda:0', 'cuda:1']);
    p.route(1);
    for (const r of replicas) r.state = 'restarting';
    expect(p.route(2)).to.equal(1);
  });

  it('moves a context placed elsewhere (a fork child onto its parent\'s replica), counting it once', () => {
    const { pool: p } = pool(['cuda:0', 'cuda:1']);
    p.route(1); // 0
    p.route(2); // 1
    p.place(2, 0);
    expect(p.replicaOf(2)).to.equal(0);
    // Replica 1 now holds nothing and replica 0 two: the next two new contexts go to 1, then 0 and 1 tie.
    expect([3, 4, 5].map((c) => p.route(c))).to.deep.equal([1, 1, 0]);
  });

  it('forgets a released context, freeing its place for the count', () => {
    const { pool: p } = pool(['cuda:0', 'cuda:1']);
    p.route(1);
    p.route(2);
    p.forget(1);
    p.forget(42); // never placed: nothing happens
    expect(p.replicaOf(1)).to.equal(undefined);
    expect(p.route(3), 'replica 0 holds nothing now').to.equal(0);
    expect(p.route(1), 'a forgotten context is placed anew').to.equal(0);
  });

  it('drops every context of a replica that died, tells listeners which, and logs the count', () => {
    const { pool: p, replicas, logger } = pool(['cuda:0', 'cuda:1']);
    [1, 2, 3, 4].forEach((c) => p.route(c)); // 1, 3 on 0; 2, 4 on 1
    const heard: number[][] = [];
    p.onContextsLost((ids) => heard.push(ids));
    replicas[0]!.die();
    expect(heard).to.deep.equal([[1, 3]]);
    expect(logger.lines).to.deep.equal(['info: replica cuda:0 lost 2 contexts']);
    expect(p.replicaOf(1)).to.equal(undefined);
    expect(p.replicaOf(2)).to.equal(1);
    replicas[0]!.state = 'ready';
    expect([5, 6].map((c) => p.route(c)), 'the emptied replica takes new contexts first').to.deep.equal([0, 0]);
    replicas[1]!.die();
    replicas[1]!.die();
    expect(heard.slice(1)).to.deep.equal([[2, 4], []]);
    expect(logger.lines, 'nothing to log when nothing was lost').to.have.length(2);
  });
});
