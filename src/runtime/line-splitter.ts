/** One line read from a stream, or the note that a line was longer than the bound and dropped. */
export type SplitLine = { line: string } | { overlong: number };

export interface LineSplitterOptions {
  /** The most bytes a line may hold (its newline not counted); a longer one is dropped, not kept. */
  maxBytes: number;
  /** Output meant for a terminal: a carriage return redraws the line, so only what follows the
   *  last one is the line (a progress bar drawn with `\r` keeps one state, not every redraw). */
  carriageReturnRedraws?: boolean;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Splits a byte stream into UTF-8 lines with a bound on what it holds: each chunk is scanned once,
 * and a line past `maxBytes` is counted, not kept, and reported as `{ overlong }` at its end.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  /** Bytes of the line being dropped, or -1 while the line is within the bound. */
  private dropped = -1;

  constructor(private readonly options: LineSplitterOptions) {}

  /** The lines this chunk completes, in order. */
  push(chunk: Buffer): SplitLine[] {
    const lines: SplitLine[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline >= 0; newline = chunk.indexOf(NEWLINE, start)) {
      this.take(chunk.subarray(start, newline));
      lines.push(this.endLine());
      start = newline + 1;
    }
    this.take(chunk.subarray(start));
    return lines;
  }

  /** The last line, when the stream ended without a newline after it. */
  end(): SplitLine[] {
    return this.held > 0 || this.dropped >= 0 ? [this.endLine()] : [];
  }

  /** Bytes held for the line not yet ended: never more than `maxBytes`. */
  get heldBytes(): number {
    return this.held;
  }

  private take(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.options.carriageReturnRedraws) {
      // A trailing `\r` is kept: it may be the first half of a CRLF, which ends the line rather
      // than redrawing it. Anything after it, in this piece or the next, is a redraw.
      const last = this.parts[this.parts.length - 1];
      const redraw = piece.length >= 2 ? piece.lastIndexOf(CARRIAGE_RETURN, piece.length - 2) : -1;
      if (redraw >= 0 || last?.[last.length - 1] === CARRIAGE_RETURN) {
        this.parts = [];
        this.held = 0;
        this.dropped = -1;
        piece = piece.subarray(redraw + 1);
      }
    }
    if (this.dropped >= 0) {
      this.dropped += piece.length;
    } else if (this.held + piece.length > this.options.maxBytes) {
      this.dropped = this.held + piece.length;
      this.parts = [];
      this.held = 0;
    } else {
      this.parts.push(piece);
      this.held += piece.length;
    }
  }

  private endLine(): SplitLine {
    const { parts, held, dropped } = this;
    this.parts = [];
    this.held = 0;
    this.dropped = -1;
    if (dropped >= 0) return { overlong: dropped };
    const line = Buffer.concat(parts, held).toString('utf8');
    return { line: line.endsWith('\r') ? line.slice(0, -1) : line };
  }
}

/** The lines of a readable stream, read with backpressure, each bounded as `LineSplitter` says. */
export async function* boundedLines(stream: AsyncIterable<Buffer | string>, options: LineSplitterOptions): AsyncGenerator<SplitLine> {
  const splitter = new LineSplitter(options);
  for await (const chunk of stream) yield* splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  yield* splitter.end();
}
