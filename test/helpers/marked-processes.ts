import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh environment marker: every process started with it (a runtime, its workers) can be
 *  found in /proc whatever its process group or session. */
export function processMarker(): { name: string; value: string } {
  return { name: 'PIE_TEST_PROCESS_MARK', value: randomUUID() };
}

/** The pids of live (not zombie) processes whose environment holds the marker. */
export function markedProcesses(marker: { name: string; value: string }): number[] {
  const needle = `${marker.name}=${marker.value}\0`;
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).filter((entry) => {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      return stat[stat.lastIndexOf(')') + 2] !== 'Z' && readFileSync(`/proc/${entry}/environ`, 'latin1').includes(needle);
    } catch {
      return false;
    }
  }).map(Number);
}

/** The runtimes' launch folders in a temp folder (the test's own: other drivers on the machine
 *  use the system one) now. */
export function launchFolders(folder: string): string[] {
  return readdirSync(folder).filter((name) => name.startsWith('pie-trtllm-'));
}

/** Runs `body` with TMPDIR (where this process's drivers make their launch folders) set to a
 *  fresh folder of its own, restored after. */
export async function withOwnTmpdir<T>(body: (folder: string) => Promise<T>): Promise<T> {
  const folder = mkdtempSync(join(tmpdir(), 'pie-own-tmp-'));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = folder;
  try {
    return await body(folder);
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(folder, { recursive: true, force: true });
  }
}
