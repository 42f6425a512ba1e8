/**
 * How many tokens of each context the driver can replay (positions 0..length-1), so a request or
 * fork that starts past them is refused before it reaches a runtime. It mirrors the runtimes'
 * histories: entries leave when a runtime reports their eviction, on release, or with their
 * runtime, so it needs no bound or eviction order of its own.
 */
export class ReplayTracker {
  private readonly lengths = new Map<number, number>();

  get size(): number {
    return this.lengths.size;
  }

  length(contextId: number): number {
    return this.lengths.get(contextId) ?? 0;
  }

  /** Records that positions up to `end` (exclusive) are now replayable. */
  extend(contextId: number, end: number): void {
    const current = this.lengths.get(contextId);
    if (current === undefined || end > current) this.lengths.set(contextId, end);
  }

  forget(contextId: number): void {
    this.lengths.delete(contextId);
  }
}
