import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Tokens } from '../../src/driver/tokens.js';
import { MemoryLogger } from '../../src/runtime/logger.js';
import { defaultPolicy } from '../../src/runtime/supervisor-policy.js';
import type { DriverHandle } from '../../src/plugin/driver-handle.js';
import { batchOf, greedyContinuation, GREEDY, simulatedDriver, waitFor } from '../helpers/driver-fixture.js';
import { markedProcesses, processMarker } from '../helpers/marked-processes.js';
import { repoRoot } from '../helpers/package-paths.js';
import { ServeSession } from '../helpers/serve-session.js';

type Status = { pid: number; state: string; restarts: number; reason?: string; processes: { pid: number; ppid: number; command: string }[] };
const statusOf = async (driver: DriverHandle) => (await driver.status()) as Status[];

/** A driver whose simulated GPUs are held by their workers (a load onto a held GPU fails as CUDA
 *  out of memory) and whose MPI daemon kills a dead runtime's workers `delayS` later, as measured. */
function heldGpuDriver(gpus: string, marker: { name: string; value: string }, options: { table?: Record<string, unknown>; delayS?: string; maxCrashes?: number; env?: Record<string, string> } = {}) {
  const logger = new MemoryLogger();
  const driver = simulatedDriver({
    table: options.table,
    env: { [marker.name]: marker.value, PIE_TRTLLM_SIMULATE_GPU_DIR: gpus, PIE_TRTLLM_SIMULATE_DAEMON_KILL_DELAY_S: options.delayS ?? '3', ...options.env },
    setup: (c) => {
      c.register(Tokens.Logger, { useValue: logger });
      // The first restart comes 200 ms after a death, well within the daemon's delay.
      c.register(Tokens.SupervisorPolicy, { useValue: { ...defaultPolicy, maxCrashes: options.maxCrashes ?? defaultPolicy.maxCrashes, shutdownGraceMs: 2000 } });
    },
  });
  return { driver, logger };
}

describe('a replica\'s processes: the runtime, its MPI daemon and workers', function () {
  this.timeout(60_000);
  let gpus: string;
  beforeEach(() => (gpus = mkdtempSync(join(tmpdir(), 'pie-gpus-'))));
  afterEach(() => rmSync(gpus, { recursive: true, force: true }));

  it('a dead executor worker (a GPU fault, say) is noticed: the replica is replaced with one restart, its processes reaped, and serves again', async () => {
    const marker = processMarker();
    const { driver, logger } = heldGpuDriver(gpus, marker);
    try {
      await driver.start();
      const prompt = [5, 6, 7];
      expect(await driver.forward(batchOf([[1, prompt, 0, GREEDY]]))).to.deep.equal([{ tokens: greedyContinuation(prompt, 1) }]);
      const [before] = await statusOf(driver);
      expect([before!.state, before!.restarts]).to.deep.equal(['ready', 0]);
      const daemon = before!.processes.find((p) => p.ppid === before!.pid)!;
      const worker = before!.processes.find((p) => p.ppid === daemon.pid)!;
      process.kill(worker.pid, 'SIGKILL');
      const after = await waitFor(async () => {
        const [replica] = await statusOf(driver);
        return replica!.state === 'ready' && replica!.pid !== before!.pid ? replica : undefined;
      }, 20_000, 'the replica to be replaced');
      expect(after!.restarts).to.equal(1);
      // Nothing of the broken replica is left; the new one holds the GPU.
      const old = before!.processes.map((p) => p.pid);
      expect(markedProcesses(marker).filter((pid) => old.includes(pid))).to.deep.equal([]);
      expect(logger.lines.some((line) => line.includes(`exited (code 4: its TensorRT-LLM executor broke, an executor worker ended); restarting`)), logger.lines.join('\n')).to.equal(true);
      // Its contexts are gone with it: a decode step needs the prefix again, a full prompt is served.
      const [lost] = await driver.forward(batchOf([[1, [greedyContinuation(prompt, 1)[0]!], 3, GREEDY]]));
      expect(lost).to.have.nested.property('error.code', 'MISSING_REPLAY_PREFIX');
      expect(await driver.forward(batchOf([[2, prompt, 0, GREEDY]]))).to.deep.equal([{ tokens: greedyContinuation(prompt, 1) }]);
    } finally {
      await driver.dispose();
    }
  });

  for (const [label, table, ranks] of [
    ['one rank', { type: 'tensorrt_llm', device: 'cuda:0' }, 1],
    ['tensor_parallel_size 2', { type: 'tensorrt_llm', device: ['cuda:0', 'cuda:1'], tensor_parallel_size: 2 }, 2],
  ] as const) {
    it(`${label}: status lists them; one SIGKILL costs one restart and no failed load, even with workers that ignore SIGTERM`, async () => {
      const marker = processMarker();
      const { driver, logger } = heldGpuDriver(gpus, marker, { table, env: { PIE_TRTLLM_SIMULATE_WORKER_IGNORES_SIGTERM: '1' } });
      try {
        await driver.start();
        const [before] = await statusOf(driver);
        // The runtime, its daemon (its child, in a session of its own) and a worker per rank.
        expect(before!.processes.map((p) => p.pid).sort()).to.deep.equal(markedProcesses(marker).sort());
        expect(before!.processes).to.have.length(2 + ranks);
        const daemon = before!.processes.find((p) => p.ppid === before!.pid)!;
        expect(before!.processes.filter((p) => p.ppid === daemon.pid)).to.have.length(ranks);
        const old = before!.processes.map((p) => p.pid);
        process.kill(before!.pid, 'SIGKILL');
        // Until the death is noticed, status still says ready with the old pid: wait for a new one.
        const after = await waitFor(async () => {
          const [replica] = await statusOf(driver);
          return replica!.state === 'failed' || (replica!.state === 'ready' && replica!.pid !== before!.pid) ? replica : undefined;
        }, 20_000, 'the replica to be back');
        expect(after!.state, after!.reason).to.equal('ready');
        expect(after!.restarts).to.equal(1);
        expect(logger.lines.filter((l) => /restart failed|out of memory/.test(l))).to.deep.equal([]);
        expect(old.filter((pid) => markedProcesses(marker).includes(pid)), 'the dead replica\'s processes').to.deep.equal([]);
        expect(await driver.forward(batchOf([[1, [1, 2], 0, GREEDY]]))).to.deep.equal([{ tokens: greedyContinuation([1, 2], 1) }]);
      } finally {
        await driver.dispose();
      }
      expect(markedProcesses(marker), 'after dispose').to.deep.equal([]);
    });
  }

  it('leaves nothing after giving up', async () => {
    const marker = processMarker();
    const { driver } = heldGpuDriver(gpus, marker, { maxCrashes: 1 });
    try {
      await driver.start();
      const [replica] = await statusOf(driver);
      process.kill(replica!.pid, 'SIGKILL');
      await waitFor(async () => ((await statusOf(driver))[0]!.state === 'failed' ? true : undefined), 15_000, 'the replica to give up');
      expect(markedProcesses(marker)).to.deep.equal([]);
    } finally {
      await driver.dispose();
    }
  });

  it('leaves nothing after SIGKILL of the host: the runtime ends with its pipes, the daemon ends the workers', async () => {
    const marker = processMarker();
    const serve = new ServeSession(['--config', join(repoRoot, 'examples', 'pie.toml'), '--simulate'], { [marker.name]: marker.value, PIE_TRTLLM_SIMULATE_DAEMON_KILL_DELAY_S: '1' });
    const [replica] = (await serve.call({ id: 1, op: 'status' })).replicas as Status[];
    expect(replica!.processes).to.have.length(3);
    serve.child.kill('SIGKILL');
    await serve.exited;
    expect(await waitFor(() => (markedProcesses(marker).length === 0 ? true : undefined), 10_000, 'the replica\'s processes to end')).to.equal(true);
  });
});
