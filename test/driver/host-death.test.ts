import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { waitFor } from '../helpers/driver-fixture.js';
import { launchFolders, markedProcesses, processMarker } from '../helpers/marked-processes.js';
import { repoRoot } from '../helpers/package-paths.js';

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch {
    return '';
  }
}

/** A host process that creates a simulated driver and starts it, and prints once it is ready. */
const HOST = `
import 'reflect-metadata';
import { simulatedDriver } from ${JSON.stringify(new URL('../helpers/driver-fixture.js', import.meta.url).href)};
const driver = simulatedDriver({ env: JSON.parse(process.argv[1]) });
driver.start().then(() => console.log('ready'), (error) => console.log('failed ' + error.message));
setInterval(() => {}, 1000);
`;

describe('a host that dies (SIGKILL) takes its runtime with it', function () {
  this.timeout(60_000);

  for (const phase of ['as the runtime starts', 'while the model loads', 'while it serves'] as const) {
    it(`${phase}: the runtime, its MPI daemon and workers end, and no launch folder is left`, async () => {
      const folder = mkdtempSync(join(tmpdir(), 'pie-host-death-'));
      const hold = join(folder, 'hold');
      if (phase !== 'while it serves') writeFileSync(hold, '');
      const marker = processMarker();
      const env = { [marker.name]: marker.value, PIE_TRTLLM_SIMULATE_LOAD_HOLD_FILE: hold };
      const host = spawn(process.execPath, ['--input-type=module', '-e', HOST, JSON.stringify(env)], { cwd: repoRoot, env: { ...process.env, TMPDIR: folder }, stdio: ['ignore', 'pipe', 'inherit'] });
      let said = '';
      host.stdout!.on('data', (d: Buffer) => (said += d.toString()));
      try {
        // The runtime and its executor worker (a grandchild, in a session of its own) are up.
        if (phase === 'as the runtime starts') await waitFor(() => markedProcesses(marker).length > 0 || undefined, 20_000, 'the runtime');
        else await waitFor(() => markedProcesses(marker).some((pid) => commandOf(pid).includes('worker_server')) || undefined, 20_000, 'the executor worker');
        if (phase === 'while it serves') await waitFor(() => said.includes('ready') || undefined, 20_000, 'the driver to be ready');
        else expect(said).to.equal('');
        if (phase === 'as the runtime starts') writeFileSync(hold, ''); // it may still be reading its config: held there if not
        host.kill('SIGKILL');
        // Within the MPI daemon's delay (1-3 s, measured on Open MPI) after the runtime ends.
        await waitFor(() => markedProcesses(marker).length === 0 || undefined, 10_000, 'every process of the replica to end');
        expect(launchFolders(folder).map((f) => [f, readdirSync(join(folder, f))]), 'the launch config (which may hold secrets) is gone').to.deep.equal([]);
      } finally {
        host.kill('SIGKILL');
        for (const pid of markedProcesses(marker)) process.kill(pid, 'SIGKILL');
        rmSync(folder, { recursive: true, force: true });
      }
    });
  }
});
