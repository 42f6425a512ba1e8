import { groupNow, type ProcessEntry, processEntry } from './process-tree.js';

/**
 * A process group this host started: its leader (a runtime) recorded by pid and start time, and
 * the processes seen in it since. Linux keeps a pid from being handed out again while a process
 * group of that id still has a member, so while the leader, or any process seen in the group,
 * still runs in it, the group is the one this host started. Once none does, the id may belong to
 * another program's group, and the group is never signalled again.
 */
export class OwnedGroup {
  private readonly seen: ProcessEntry[] = [];

  private constructor(readonly leader: ProcessEntry) {}

  /** The group led by the process `pid`, recorded now (it must run); undefined when it does not. */
  static of(pid: number): OwnedGroup | undefined {
    const leader = processEntry(pid);
    return leader === undefined || leader.group !== pid ? undefined : new OwnedGroup(leader);
  }

  get id(): number {
    return this.leader.pid;
  }

  /** Records processes seen in the group (a runtime's workers), so it is known after its leader ends. */
  remember(entries: readonly ProcessEntry[]): void {
    for (const entry of entries) if (entry.group === this.id && !this.seen.some((s) => s.pid === entry.pid && s.startTime === entry.startTime)) this.seen.push(entry);
  }

  /** Whether the group is provably still this one: a recorded process still runs in it. */
  ours(): boolean {
    if (groupNow(this.leader) === this.id) return true;
    return this.seen.some((entry) => groupNow(entry) === this.id);
  }

  /** Signals the whole group while it is ours; false when it is not (gone, or the id reused). */
  signal(signal: NodeJS.Signals): boolean {
    if (!this.ours()) return false;
    try {
      process.kill(-this.id, signal);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
      throw error;
    }
  }
}
