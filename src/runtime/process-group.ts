import { type ProcessEntry, signalProcesses } from './process-tree.js';
import { readdirSync, readFileSync } from 'node:fs';

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
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return -1;
  }
  let live = 0;
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command name: state, ppid, pgrp, ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === group && fields[0] !== 'Z') live++;
  }
  return live;
}

/** Resolves when no process of the group is alive (the caller has sent SIGKILL), polling for at
 *  most 5 s. */
export async function groupGone(pid: number | undefined): Promise<void> {
  for (let i = 0; pid && i < 500 && groupAlive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 10));
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
