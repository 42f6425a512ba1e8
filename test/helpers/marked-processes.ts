import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh environment marker: every process started with it (a runtime, its workers) can be
 *  found in /proc whatever its process group or session. */
export function processMarker(): { name: string; value: string } {
  return { name: 'PIE_TEST_PROCESS_MARK', value: randomUUID() };
}

/** Pid → start time (stat field 22) of every process seen with a marker, per marker value. */
const seen = new Map<string, Map<number, string>>();

/** A process's state letter and start time, or undefined once it is gone. */
function statOf(pid: number): { state: string; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], start: fields[19] };
  } catch {
    return undefined;
  }
}

/** The pids of live (not zombie) processes whose environment holds the marker, and of those seen
 *  with it before that still live. An exec keeps the pid but reads as an empty environment for an
 *  instant (the kernel sets the new one up after it lets readers in), and a runtime started through
 *  a wrapper (pyenv's shim) execs several times: a process counted once stays counted while it lives
 *  (the same pid with the same start time, so a reused pid does not count). */
export function markedProcesses(marker: { name: string; value: string }): number[] {
  const needle = `${marker.name}=${marker.value}\0`;
  const known = seen.get(marker.value) ?? new Map<number, string>();
  seen.set(marker.value, known);
  const live: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = statOf(pid);
    if (!stat || stat.state === 'Z') continue;
    let marked = known.get(pid) === stat.start;
    if (!marked) {
      try {
        marked = readFileSync(`/proc/${pid}/environ`, 'latin1').includes(needle);
      } catch {
        marked = false;
      }
      if (marked) known.set(pid, stat.start);
    }
    if (marked) live.push(pid);
  }
  return live;
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
