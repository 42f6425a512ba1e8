import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { Tokens } from '../../src/driver/tokens.js';
import { defaultPolicy } from '../../src/runtime/supervisor-policy.js';
import type { DriverHandle } from '../../src/plugin/driver-handle.js';
import { batchOf, greedyContinuation, GREEDY, waitFor, withDriver } from '../helpers/driver-fixture.js';

type Status = { device: string; pid: number | null; state: string; restarts: number; runtime?: { world_size?: number } };
const statusOf = async (driver: DriverHandle) => (await driver.status()) as Status[];

/** The child processes of `pid`: a runtime's is its MPI daemon, the daemon's are the workers. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Whether a process exists and is not a zombie. */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').at(-1)!.trim().split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('tensor parallel groups (simulated engine)', function () {
  this.timeout(60_000);

  it('serves four devices with tensor_parallel_size 2 as two replicas of two ranks; a killed replica leaves no worker and the other serves on', async () => {
    await withDriver({
      table: { type: 'tensorrt_llm', device: ['cuda:0', 'cuda:1', 'cuda:2', 'cuda:3'], tensor_parallel_size: 2 },
      setup: (c) => c.register(Tokens.SupervisorPolicy, { useValue: { ...defaultPolicy, backoffBaseMs: 20, backoffMaxMs: 100, shutdownGraceMs: 1000 } }),
    }, async (driver) => {
      const replicas = await statusOf(driver);
      expect(replicas.map((r) => [r.device, r.state, r.runtime?.world_size])).to.deep.equal([
        ['cuda:0,cuda:1', 'ready', 2],
        ['cuda:2,cuda:3', 'ready', 2],
      ]);
      const workersOf = (pid: number) => childrenOf(pid).flatMap(childrenOf);
      for (const replica of replicas) expect(workersOf(replica.pid!), `workers of ${replica.device}`).to.have.length(2);
      // Contexts 1 and 2 land on different replicas (least loaded first).
      expect(await driver.forward(batchOf([[1, [1, 2], 0, GREEDY], [2, [3, 4], 0, GREEDY]]))).to.deep.equal([
        { tokens: greedyContinuation([1, 2], 1) },
        { tokens: greedyContinuation([3, 4], 1) },
      ]);
      const [victim] = replicas;
      const workers = workersOf(victim!.pid!);
      process.kill(victim!.pid!, 'SIGKILL');
      await waitFor(() => !workers.some(running) || undefined, 10_000, 'the killed replica\'s workers to end');
      // The other replica serves its context on, from where it was.
      const next = greedyContinuation([3, 4], 1)[0]!;
      expect(await driver.forward(batchOf([[2, [next], 2, GREEDY]]))).to.deep.equal([{ tokens: greedyContinuation([3, 4, next], 1) }]);
      const replaced = await waitFor(async () => {
        const [first] = await statusOf(driver);
        return first!.state === 'ready' && first!.restarts === 1 ? first : undefined;
      }, 15_000, 'the killed replica to restart');
      expect(workersOf(replaced!.pid!)).to.have.length(2);
    });
  });
});
