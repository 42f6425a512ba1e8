import { readdirSync, readFileSync } from 'node:fs';

/** One process as /proc shows it; `startTime` (clock ticks after boot) tells a reused pid apart. */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  group: number;
  session: number;
  startTime: number;
  /** The command line, cut to 160 characters. */
  command: string;
}

function readStat(pid: number): { ppid: number; group: number; session: number; startTime: number; state: string } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces and parentheses): state is field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0]!, ppid: Number(fields[1]), group: Number(fields[2]), session: Number(fields[3]), startTime: Number(fields[19]) };
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean).join(' ').slice(0, 160);
  } catch {
    return '';
  }
}

type Stat = NonNullable<ReturnType<typeof readStat>>;

function entryOf(pid: number, stat: Stat): ProcessEntry {
  return { pid, ppid: stat.ppid, group: stat.group, session: stat.session, startTime: stat.startTime, command: commandOf(pid) };
}

/** Every live (not zombie) process by pid; undefined when /proc cannot tell (not Linux). */
export function liveProcesses(): Map<number, Stat> | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const stats = new Map<number, Stat>();
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.state !== 'Z') stats.set(Number(entry), stat);
  }
  return stats;
}

/** `pid` and every live process below it, whatever their process group or session (an MPI daemon
 *  calls setsid), parents before children; [] when /proc cannot tell (not Linux). */
export function processTree(pid: number): ProcessEntry[] {
  const stats = liveProcesses() ?? new Map<number, Stat>();
  const children = new Map<number, number[]>();
  for (const [child, stat] of stats) {
    const siblings = children.get(stat.ppid);
    if (siblings) siblings.push(child);
    else children.set(stat.ppid, [child]);
  }
  const tree: ProcessEntry[] = [];
  const pending = stats.has(pid) ? [pid] : [];
  for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
    tree.push(entryOf(next, stats.get(next)!));
    pending.push(...(children.get(next) ?? []));
  }
  return tree;
}

/** The process `pid` as /proc shows it now; undefined when it does not run (or is a zombie). */
export function processEntry(pid: number): ProcessEntry | undefined {
  const stat = readStat(pid);
  return !stat || stat.state === 'Z' ? undefined : entryOf(pid, stat);
}

/** The process group `entry` is in now, or undefined when it no longer runs as that process. */
export function groupNow(entry: ProcessEntry): number | undefined {
  const stat = readStat(entry.pid);
  return stat !== undefined && stat.state !== 'Z' && stat.startTime === entry.startTime ? stat.group : undefined;
}

/** Whether the process recorded in `entry` still runs (not a zombie, and not a new process that
 *  was given the same pid since). */
export function stillRunning(entry: ProcessEntry): boolean {
  const stat = readStat(entry.pid);
  return stat !== undefined && stat.state !== 'Z' && stat.startTime === entry.startTime;
}

/** Signals each recorded process that still runs; never one that merely reuses its pid. */
export function signalProcesses(entries: readonly ProcessEntry[], signal: NodeJS.Signals): void {
  for (const entry of entries) {
    if (!stillRunning(entry)) continue;
    try {
      process.kill(entry.pid, signal);
    } catch {
      /* ended meanwhile, or not ours to signal: stillRunning says which afterwards */
    }
  }
}

/** Kills the recorded processes and waits until none runs, for at most `timeoutMs`; returns the
 *  ones still running then (a process in uninterruptible sleep cannot be ended at once). */
export async function endProcesses(entries: readonly ProcessEntry[], timeoutMs: number): Promise<ProcessEntry[]> {
  const deadline = Date.now() + timeoutMs;
  let running = entries.filter(stillRunning);
  while (running.length > 0) {
    signalProcesses(running, 'SIGKILL');
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
    running = running.filter(stillRunning);
  }
  return running;
}

/** Every live process whose environment holds `name=value` (those of other users cannot be read,
 *  and are not ours): it finds what a process started however far it went, a daemon that left
 *  its parent and session included, unless it cleared its environment. [] when /proc cannot tell. */
export function processesWithEnvironment(name: string, value: string): ProcessEntry[] {
  const wanted = Buffer.from(`${name}=${value}\0`, 'latin1');
  const found: ProcessEntry[] = [];
  for (const [pid, stat] of liveProcesses() ?? []) {
    let environment: Buffer;
    try {
      environment = readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue;
    }
    const at = environment.indexOf(wanted);
    if (at === 0 || (at > 0 && environment[at - 1] === 0)) {
      found.push(entryOf(pid, stat));
    }
  }
  return found;
}
