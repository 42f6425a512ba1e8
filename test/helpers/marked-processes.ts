import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ProcessEntry, processesWithEnvironment, stillRunning } from '../../src/runtime/process-tree.js';

/** A fresh environment marker: every process started with it (a runtime, its workers) can be
 *  found in /proc whatever its process group or session. */
export function processMarker(): { name: string; value: string } {
  return { name: 'PIE_TEST_PROCESS_MARK', value: randomUUID() };
}

/** Every process seen with a marker, by pid, per marker value. */
const seen = new Map<string, Map<number, ProcessEntry>>();

/** The pids of live (not zombie) processes whose environment holds the marker, and of those seen
 *  with it before that still live. An exec keeps the pid but reads as an empty environment for an
 *  instant (the kernel sets the new one up after it lets readers in), and a runtime started through
 *  a wrapper (pyenv's shim) execs several times: a process counted once stays counted while it lives
 *  (`stillRunning`: the same pid with the same start time, so a reused pid does not count). */
export function markedProcesses(marker: { name: string; value: string }): number[] {
  const known = seen.get(marker.value) ?? new Map<number, ProcessEntry>();
  seen.set(marker.value, known);
  for (const entry of processesWithEnvironment(marker.name, marker.value)) known.set(entry.pid, entry);
  const live: number[] = [];
  for (const [pid, entry] of known) {
    if (stillRunning(entry)) live.push(pid);
    else known.delete(pid);
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
