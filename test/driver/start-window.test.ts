import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Tokens } from '../../src/driver/tokens.js';
import { RuntimeError } from '../../src/runtime/runtime-errors.js';
import { defaultPolicy } from '../../src/runtime/supervisor-policy.js';
import { simulatedDriver, waitFor } from '../helpers/driver-fixture.js';
import { launchFolders, markedProcesses, processMarker, withOwnTmpdir } from '../helpers/marked-processes.js';
import { repoRoot } from '../helpers/package-paths.js';
import { ServeSession } from '../helpers/serve-session.js';

const example = join(repoRoot, 'examples', 'pie.toml');
const scratch = mkdtempSync(join(tmpdir(), 'pie-window-'));
let holds = 0;

/** A file whose existence holds every simulated load at its start (PIE_TRTLLM_SIMULATE_LOAD_HOLD_FILE). */
function holdFile(present: boolean): string {
  const path = join(scratch, `hold-${++holds}`);
  if (present) writeFileSync(path, '');
  return path;
}

/** Waits for a marked process other than `except`: a runtime that is loading. */
const loading = (marker: ReturnType<typeof processMarker>, except: number[] = []) =>
  waitFor(() => markedProcesses(marker).find((pid) => !except.includes(pid)), 15_000, 'a runtime to be loading');

describe('the start-up window', function () {
  this.timeout(60_000);
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('dispose() while the model loads ends the runtime and its workers before it returns, and leaves no launch folder', () =>
    withOwnTmpdir(async (tmp) => {
      const marker = processMarker();
      const driver = simulatedDriver({ env: { [marker.name]: marker.value, PIE_TRTLLM_SIMULATE_LOAD_HOLD_FILE: holdFile(true) } });
      const started = driver.start().catch((e: unknown) => e);
      await loading(marker);
      expect(launchFolders(tmp)).to.have.length(1); // the launch folder is there while it loads
      await driver.dispose();
      expect(markedProcesses(marker), 'processes left when dispose returned').to.deep.equal([]);
      const error = (await started) as RuntimeError;
      expect(error).to.be.instanceOf(RuntimeError);
      expect(error.message).to.equal('the start of the runtime on cuda:0 was cancelled: the driver is shutting down');
      expect(launchFolders(tmp)).to.deep.equal([]);
    }));

  it('start() after dispose() is refused and launches nothing, whether the driver had started or not', async () => {
    for (const startedFirst of [false, true]) {
      const marker = processMarker();
      const driver = simulatedDriver({ env: { [marker.name]: marker.value } });
      if (startedFirst) await driver.start();
      await driver.dispose();
      const error = (await driver.start().catch((e: unknown) => e)) as RuntimeError;
      expect(error, String(startedFirst)).to.be.instanceOf(RuntimeError);
      expect([error.code, error.message]).to.deep.equal(['RUNTIME_UNAVAILABLE', "the driver was disposed: it does not start again; create another with the descriptor's create()"]);
      // Give a launch the time to show: none comes.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(markedProcesses(marker), String(startedFirst)).to.deep.equal([]);
    }
  });

  it('dispose() during a restart ends the new runtime mid-load before it returns', () =>
    withOwnTmpdir(async (tmp) => {
      const marker = processMarker();
      const hold = holdFile(false);
      const driver = simulatedDriver({
        env: { [marker.name]: marker.value, PIE_TRTLLM_SIMULATE_LOAD_HOLD_FILE: hold },
        setup: (c) => c.register(Tokens.SupervisorPolicy, { useValue: { ...defaultPolicy, backoffBaseMs: 20 } }),
      });
      await driver.start();
      const [first] = (await driver.status()) as { pid: number }[];
      writeFileSync(hold, '');
      const before = markedProcesses(marker);
      process.kill(first!.pid, 'SIGKILL');
      await loading(marker, before);
      expect(((await driver.status()) as { state: string }[])[0]!.state).to.equal('restarting');
      await driver.dispose();
      expect(markedProcesses(marker), 'processes left when dispose returned').to.deep.equal([]);
      expect(launchFolders(tmp)).to.deep.equal([]);
    }));

  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`serve: ${signal} while the model loads ends the runtime, removes the launch folder and exits ${code}`, () =>
      withOwnTmpdir(async (tmp) => {
        const marker = processMarker();
        const serve = new ServeSession(['--config', example, '--simulate'], { [marker.name]: marker.value, PIE_TRTLLM_SIMULATE_LOAD_HOLD_FILE: holdFile(true), TMPDIR: tmp });
        await loading(marker, [serve.child.pid!]);
        expect(launchFolders(tmp)).to.have.length(1);
        serve.child.kill(signal);
        expect(await serve.exited).to.equal(code);
        expect(markedProcesses(marker)).to.deep.equal([]);
        expect(launchFolders(tmp)).to.deep.equal([]);
      }));
  }

  it('serve: shutdown during a restart answers at once and ends the loading runtime', async () => {
    const marker = processMarker();
    const hold = holdFile(false);
    const serve = new ServeSession(['--config', example, '--simulate'], { [marker.name]: marker.value, PIE_TRTLLM_SIMULATE_LOAD_HOLD_FILE: hold });
    const [replica] = (await serve.call({ id: 1, op: 'status' })).replicas as { pid: number }[];
    writeFileSync(hold, '');
    const before = markedProcesses(marker);
    process.kill(replica!.pid, 'SIGKILL');
    await loading(marker, before);
    // The load is held for as long as the file exists: an answer means it was not waited for.
    expect(await serve.call({ id: 2, op: 'shutdown' })).to.deep.equal({ id: 2, ok: true });
    expect(await serve.exited).to.equal(0);
    expect(markedProcesses(marker)).to.deep.equal([]);
  });
});
