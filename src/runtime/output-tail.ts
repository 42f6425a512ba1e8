/** Keeps the last bytes of a child's output, for error messages about why it stopped. */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit = 8192) {}

  push(data: Buffer | string): void {
    let chunk = typeof data === 'string' ? Buffer.from(data) : data;
    // Only the tail is ever shown: a chunk larger than it is cut before it is kept (a copy, so
    // the rest of the chunk's memory is not held through a view).
    if (chunk.length > this.limit) chunk = Buffer.from(chunk.subarray(chunk.length - this.limit));
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0]!.length >= this.limit) this.size -= this.chunks.shift()!.length;
  }

  /** Bytes held now: under the limit plus the oldest chunk kept, so at most twice the limit. */
  get retainedBytes(): number {
    return this.size;
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8').trim();
  }
}
