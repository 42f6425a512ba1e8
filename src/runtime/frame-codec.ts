/** Length-prefixed frames: a 4-byte little-endian length, then UTF-8 JSON (the Python side's framing.py). */

/** The largest frame the runtime reads (framing.py MAX_FRAME_BYTES); a larger one is never sent. */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;

export function encodeFrame(message: unknown): Buffer {
  const body = JSON.stringify(message);
  const length = Buffer.byteLength(body);
  const frame = Buffer.allocUnsafe(4 + length);
  frame.writeUInt32LE(length, 0);
  frame.write(body, 4, 'utf8');
  return frame;
}

/** Reassembles frames from stream chunks; a chunk may hold part of a frame or several frames.
 *  Chunks are joined once, when a frame completes, and a frame whose header claims more than
 *  `maxBytes` is never gathered: the stream is out of step or hostile, and is reported once. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private size = 0;
  /** The payload length of the frame being gathered, once its header is in; -1 before. */
  private expected = -1;
  private broken = false;

  constructor(
    private readonly onFrame: (payload: Buffer) => void,
    private readonly onOversized: (length: number) => void = () => undefined,
    private readonly maxBytes = MAX_FRAME_BYTES,
  ) {}

  push(chunk: Buffer): void {
    if (this.broken) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    for (;;) {
      if (this.expected < 0) {
        if (this.size < 4) return;
        const length = this.joined().readUInt32LE(0);
        if (length > this.maxBytes) {
          this.broken = true;
          this.chunks = [];
          this.size = 0;
          this.onOversized(length);
          return;
        }
        this.expected = length;
      }
      if (this.size < 4 + this.expected) return;
      const all = this.joined();
      const end = 4 + this.expected;
      const rest = all.subarray(end);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.size = rest.length;
      this.expected = -1;
      this.onFrame(all.subarray(4, end));
    }
  }

  /** Bytes held for the frame not yet complete. */
  get buffered(): number {
    return this.size;
  }

  private joined(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.size)];
    return this.chunks[0]!;
  }
}
