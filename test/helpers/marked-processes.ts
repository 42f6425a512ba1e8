import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

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

/** The runtimes' launch folders in the temp folder now. */
export function launchFolders(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('pie-trtllm-'));
}
