import { OwnedGroup } from './owned-group.js';
import { endProcesses, type ProcessEntry, processTree, signalProcesses } from './process-tree.js';

/** Resolves when the group is no longer this host's (every process of it ended; the caller has
 *  sent SIGKILL), polling for at most `capMs`. */
export async function groupGone(group: OwnedGroup | undefined, capMs = 5000): Promise<void> {
  const deadline = Date.now() + capMs;
  while (group?.ours() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

/**
 * Kills a live runtime's process group and every process below it, inside the group or not (an
 * MPI daemon in a session of its own, its workers), found while the runtime still holds them
 * together. Resolves when they are gone, or after 5 s. A pid that no longer runs is left alone.
 */
export async function killRuntimeTree(pid: number): Promise<void> {
  const tree = processTree(pid);
  const group = OwnedGroup.of(pid);
  group?.remember(tree);
  group?.signal('SIGKILL');
  signalProcesses(tree, 'SIGKILL');
  await Promise.all([groupGone(group), endProcesses(tree, 5000)]);
}

const live = new Set<OwnedGroup>();
/** Per runtime, the processes of its replica outside its group (an MPI daemon and its workers). */
const members = new Map<number, readonly ProcessEntry[]>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    // Each only while it provably is still the one started here: never a reused pid's group.
    for (const group of live) group.signal('SIGKILL');
    for (const entries of members.values()) signalProcesses(entries, 'SIGKILL');
  });
}

/** Makes sure a runtime's group is killed if this process exits without shutting it down. */
export function trackGroup(group: OwnedGroup): void {
  // Groups that ended are forgotten here, so failed launches do not pile up.
  for (const known of live) if (!known.ours()) live.delete(known);
  live.add(group);
  hookExit();
}

export function untrackGroup(group: OwnedGroup): void {
  live.delete(group);
}

/** The groups tracked now (for tests). */
export function trackedGroups(): readonly OwnedGroup[] {
  return [...live];
}

/** Makes sure these processes of a runtime's replica are killed if this process exits first. */
export function trackMembers(runtimePid: number, entries: readonly ProcessEntry[]): void {
  members.set(runtimePid, entries);
  hookExit();
}

export function untrackMembers(runtimePid: number): void {
  members.delete(runtimePid);
}
