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

/** Reassembles frames from stream chunks; a chunk may hold part of a frame or several frames. */
export class FrameDecoder {
  private pending: Buffer | undefined;

  constructor(private readonly onFrame: (payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    const buffer = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    while (buffer.length - offset >= 4) {
      const length = buffer.readUInt32LE(offset);
      if (buffer.length - offset - 4 < length) break;
      this.onFrame(buffer.subarray(offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    this.pending = offset < buffer.length ? buffer.subarray(offset) : undefined;
  }

  get buffered(): number {
    return this.pending?.length ?? 0;
  }
}
