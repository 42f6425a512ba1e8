import { endProcesses, liveProcesses, type ProcessEntry, processTree, signalProcesses } from './process-tree.js';

/** Signals a runtime's whole process group (the runtime may start workers of its own). */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * True while any process of the group is alive. A member that has exited but not yet been reaped
 * (a zombie, e.g. an executor worker whose runtime died, waiting for an init that reaps slowly)
 * runs nothing and counts as gone.
 */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return liveMembers(pid) !== 0;
}

/** How many members of the group are not zombies; -1 when /proc cannot tell (not Linux). */
function liveMembers(group: number): number {
  const stats = liveProcesses();
  if (!stats) return -1;
  let live = 0;
  for (const stat of stats.values()) if (stat.group === group) live++;
  return live;
}

/** Resolves when no process of the group is alive (the caller has sent SIGKILL), polling for at
 *  most `capMs` (a clock, not a count of polls: each poll reads all of /proc). */
export async function groupGone(pid: number | undefined, capMs = 5000): Promise<void> {
  const deadline = Date.now() + capMs;
  while (pid && groupAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

/**
 * Kills a live runtime's process group and every process below it, inside the group or not (an
 * MPI daemon in a session of its own, its workers), found while the runtime still holds them
 * together. Resolves when they are gone, or after 5 s.
 */
export async function killRuntimeTree(pid: number): Promise<void> {
  const tree = processTree(pid);
  signalGroup(pid, 'SIGKILL');
  signalProcesses(tree, 'SIGKILL');
  await Promise.all([groupGone(pid), endProcesses(tree, 5000)]);
}

const live = new Set<number>();
/** Per runtime, the processes of its replica outside its group (an MPI daemon and its workers). */
const members = new Map<number, readonly ProcessEntry[]>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const group of live) signalGroup(group, 'SIGKILL');
    for (const entries of members.values()) signalProcesses(entries, 'SIGKILL');
  });
}

/** Makes sure a runtime's group is killed if this process exits without shutting it down. */
export function trackGroup(pid: number): void {
  live.add(pid);
  hookExit();
}

export function untrackGroup(pid: number): void {
  live.delete(pid);
}

/** Makes sure these processes of a runtime's replica are killed if this process exits first. */
export function trackMembers(runtimePid: number, entries: readonly ProcessEntry[]): void {
  members.set(runtimePid, entries);
  hookExit();
}

export function untrackMembers(runtimePid: number): void {
  members.delete(runtimePid);
}
