import { performance } from 'node:perf_hooks';
import type { RuntimeReply } from './generated/wire-messages.js';
import { encodeFrame, FrameDecoder, MAX_FRAME_BYTES } from './frame-codec.js';
import type { LaunchedRuntime } from './runtime-launcher.js';
import { RuntimeError } from './runtime-errors.js';

interface Pending {
  resolve(reply: RuntimeReply): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface ClientOptions {
  /** Names the runtime in error messages (its device). */
  label: string;
  /** Most requests in flight at once; later calls wait for a slot. */
  maxInFlight: number;
  /** A request not answered in this time fails, and `onTimeout` decides the runtime's fate. */
  requestTimeoutMs: number;
  onTimeout(): void;
  /** The channel closed: the runtime can no longer be reached, whatever its process does. */
  onClosed(): void;
  /** How long the event loop keeps polling while a reply is due (see `replyPollingMicros`); 0: never. */
  replyPollingMicros?: number;
}

/** Request ids count up across every client of the process, so an id also says which of two
 *  messages to any runtime was sent first (replies about contexts are ordered by it). */
let nextRequestId = 1;

/** Request ids, in-flight bound, backpressure and per-request timeouts over one runtime's channel. */
export class RuntimeClient {
  private readonly pending = new Map<number, Pending>();
  private readonly waiting: (() => void)[] = [];
  private closedWith: Error | undefined;
  private drained: Promise<void> | undefined;
  private releaseDrain: (() => void) | undefined;
  private polling = false;

  /** Whether the event loop is being kept polling for a due reply right now (see `replyPollingMicros`). */
  get isPollingForReplies(): boolean {
    return this.polling;
  }

  constructor(
    private readonly runtime: LaunchedRuntime,
    private readonly options: ClientOptions,
  ) {
    const decoder = new FrameDecoder(
      (payload) => this.onReply(payload),
      (length) => {
        // The runtime writes no frame above the limit (server.py): the channel is out of step.
        this.close(new RuntimeError('RUNTIME_UNAVAILABLE', `the runtime on ${options.label} (pid ${runtime.pid}) sent a reply frame of ${length} bytes, above the ${MAX_FRAME_BYTES}-byte limit; its channel was closed and it will be replaced`));
        options.onClosed();
      },
    );
    runtime.replies.on('data', (chunk: Buffer) => decoder.push(chunk));
    runtime.replies.on('close', () => {
      this.close(new RuntimeError('RUNTIME_UNAVAILABLE', `the runtime on ${options.label} (pid ${runtime.pid}) went away while this request was in flight (it died or closed its channel)`));
      options.onClosed();
    });
    runtime.requests.on('error', () => undefined); // a write after the child died; 'close' reports it
  }

  /** Sends one message. `onSent` learns its id as it is sent: messages reach the runtime, and are
   *  answered, in the order of their ids. */
  async call(message: { op: string } & Record<string, unknown>, onSent?: (id: number) => void): Promise<RuntimeReply> {
    if (this.closedWith) throw this.closedWith;
    while (this.pending.size >= this.options.maxInFlight) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (this.closedWith) throw this.closedWith;
    }
    const id = nextRequestId++;
    // Encoded before anything is registered: a message that cannot be encoded fails alone.
    const frame = encodeFrame({ id, ...message });
    if (frame.length - 4 > MAX_FRAME_BYTES) {
      throw new RuntimeError('INVALID_REQUEST', `the ${message.op} message is ${frame.length - 4} bytes, above the runtime's ${MAX_FRAME_BYTES}-byte frame limit; send less at once`);
    }
    onSent?.(id);
    const reply = new Promise<RuntimeReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(id)?.reject(new RuntimeError('REQUEST_TIMEOUT', `the runtime did not answer ${message.op} within ${this.options.requestTimeoutMs} ms`));
        this.options.onTimeout();
      }, this.options.requestTimeoutMs);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
    });
    // Failed by a timeout or a closed channel before the caller holds it: never an unhandled
    // rejection (the caller still receives the error through the returned promise).
    reply.catch(() => undefined);
    while (this.drained) await this.drained;
    // Closed while waiting for the pipe: the reply has been failed already; write nothing.
    if (this.closedWith) return reply;
    const requests = this.runtime.requests;
    if (!requests.write(frame) && !this.drained && !requests.destroyed) this.drained = this.pipeWritable();
    this.pollForReplies();
    return reply;
  }

  /** Keeps the event loop turning (each turn polls the pipe without sleeping) while a reply is
   *  due, for at most the polling budget from the first call that started it. */
  private pollForReplies(): void {
    const budget = this.options.replyPollingMicros ?? 0;
    if (this.polling || !(budget > 0)) return;
    this.polling = true;
    const deadline = performance.now() + budget / 1000;
    const turn = () => {
      if (this.pending.size === 0 || this.closedWith || performance.now() > deadline) {
        this.polling = false;
        return;
      }
      setImmediate(turn);
    };
    setImmediate(turn);
  }

  /** Resolves when the request pipe takes writes again or is gone; never rejects (a dead pipe is
   *  reported by 'close', which fails every request in flight). */
  private pipeWritable(): Promise<void> {
    const requests = this.runtime.requests;
    return new Promise<void>((resolve) => {
      const done = () => {
        requests.off('drain', done);
        requests.off('close', done);
        requests.off('error', done);
        this.drained = this.releaseDrain = undefined;
        resolve();
      };
      this.releaseDrain = done;
      requests.on('drain', done);
      requests.on('close', done);
      requests.on('error', done);
    });
  }

  /** Fails every request in flight and every later call with `error`. */
  close(error: Error): void {
    if (this.closedWith) return;
    this.closedWith = error;
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(error);
    for (const wake of this.waiting.splice(0)) wake();
    this.releaseDrain?.();
  }

  private settle(id: number): Pending | undefined {
    const entry = this.pending.get(id);
    if (!entry) return undefined;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    this.waiting.shift()?.();
    return entry;
  }

  private onReply(payload: Buffer): void {
    let reply: RuntimeReply;
    try {
      reply = JSON.parse(payload.toString('utf8')) as RuntimeReply;
    } catch {
      return; // not ours to answer; the request it belonged to times out
    }
    if (typeof reply.id === 'number') this.settle(reply.id)?.resolve(reply);
  }
}
