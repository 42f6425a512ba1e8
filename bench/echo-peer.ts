import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { FrameDecoder } from '../src/runtime/frame-codec.js';
import { packageRoot } from '../src/config/schema-files.js';

/** A Python process that echoes frames, on descriptors 4 and 5 like the runtime's channel. */
export class EchoPeer {
  private readonly child: ChildProcess;
  private readonly requests: Writable;
  private waiting: ((payload: Buffer) => void) | undefined;

  constructor(spinMicros = 0, python = 'python3') {
    this.child = spawn(python, [join(packageRoot, 'bench', 'echo_server.py'), '--request-fd', '4', '--response-fd', '5', '--spin-us', String(spinMicros)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONPATH: join(packageRoot, 'python') },
    });
    const stdio = this.child.stdio as unknown as (Readable | Writable)[];
    this.requests = stdio[4] as Writable;
    const decoder = new FrameDecoder((payload) => this.waiting?.(payload));
    (stdio[5] as Readable).on('data', (chunk: Buffer) => decoder.push(chunk));
  }

  /** Sends one whole frame (length prefix included) and waits for it to come back. */
  roundTrip(frame: Buffer): Promise<Buffer> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.requests.write(frame);
    });
  }

  close(): void {
    this.requests.end();
    this.child.kill();
  }
}
