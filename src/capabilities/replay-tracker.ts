/**
 * How many tokens of each context the driver can replay (positions 0..length-1), so a request or
 * fork that starts past them is refused before it reaches a runtime. Bounded: the least recently
 * used context is forgotten first, as the runtime's own histories are.
 */
export class ReplayTracker {
  private readonly lengths = new Map<number, number>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.lengths.size;
  }

  length(contextId: number): number {
    return this.lengths.get(contextId) ?? 0;
  }

  /** Records that positions up to `end` (exclusive) are now replayable. */
  extend(contextId: number, end: number): void {
    const current = this.lengths.get(contextId);
    if (current !== undefined) this.lengths.delete(contextId);
    else if (this.lengths.size >= this.capacity) this.lengths.delete(this.lengths.keys().next().value!);
    this.lengths.set(contextId, current === undefined || end > current ? end : current);
  }

  forget(contextId: number): void {
    this.lengths.delete(contextId);
  }
}
