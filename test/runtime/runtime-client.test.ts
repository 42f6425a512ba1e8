import { PassThrough, Writable } from 'node:stream';
import { expect } from 'chai';
import { encodeFrame } from '../../src/runtime/frame-codec.js';
import { OutputTail } from '../../src/runtime/output-tail.js';
import { replyPollingMicros } from '../../src/runtime/reply-polling.js';
import { RuntimeClient } from '../../src/runtime/runtime-client.js';
import type { RuntimeError } from '../../src/runtime/runtime-errors.js';
import type { LaunchedRuntime } from '../../src/runtime/runtime-launcher.js';

/** A runtime object around two pipes, with nothing behind them but what the test does. */
function pipedRuntime(requests: Writable, replies: PassThrough, pid: number): LaunchedRuntime {
  return { child: {} as LaunchedRuntime['child'], pid, capabilities: {} as LaunchedRuntime['capabilities'], engine: { name: 'x', version: '0' }, requests, replies, output: new OutputTail() };
}

/** A runtime whose request pipe takes nothing: writes back up, then the pipe breaks. */
function stuckRuntime() {
  const requests = new Writable({ highWaterMark: 16, write: () => undefined }); // never calls back: a stopped reader
  const replies = new PassThrough();
  return { runtime: pipedRuntime(requests, replies, 4242), requests, replies };
}

const options = { label: 'cuda:0', maxInFlight: 4, requestTimeoutMs: 60_000, onTimeout: () => undefined, onClosed: () => undefined };

describe('RuntimeClient under a pipe that stops and breaks', () => {
  it('fails every call, waiting or in flight, once the channel closes; none hangs and none rejects unhandled', async () => {
    const { runtime, requests, replies } = stuckRuntime();
    const client = new RuntimeClient(runtime, options);
    const calls = Array.from({ length: 6 }, (_, i) => client.call({ op: 'forward', payload: 'x'.repeat(100 * i) }).then(() => 'answered', (e: Error) => e.message));
    await new Promise((r) => setTimeout(r, 20));
    requests.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    replies.destroy();
    const outcomes = await Promise.race([Promise.all(calls), new Promise((r) => setTimeout(() => r('hung'), 2000))]);
    expect(outcomes).to.be.an('array').with.length(6);
    for (const outcome of outcomes as string[]) expect(outcome).to.match(/went away/);
    // Later calls fail at once too.
    expect(await client.call({ op: 'status' }).catch((e: Error) => e.message)).to.match(/went away/);
  });

  it('does not spin when its pipe is already broken as a call writes (checked in a child process with a deadline)', async () => {
    // A busy loop would block this process's event loop and every timer with it: run it apart.
    const script = `
      import { PassThrough, Writable } from 'node:stream';
      import { RuntimeClient } from ${JSON.stringify(new URL('../../src/runtime/runtime-client.js', import.meta.url).href)};
      const requests = new Writable({ highWaterMark: 1, write: () => undefined });
      const replies = new PassThrough();
      const client = new RuntimeClient({ pid: 1, requests, replies }, { label: 'x', maxInFlight: 4, requestTimeoutMs: 60000, onTimeout() {}, onClosed() {} });
      requests.destroy();
      const calls = [client.call({ op: 'a' }), client.call({ op: 'b' }), client.call({ op: 'c' })].map((p) => p.then(() => 'answered', (e) => e.message));
      setTimeout(() => replies.destroy(), 50);
      Promise.all(calls).then((outcomes) => { console.log(JSON.stringify(outcomes)); process.exit(0); });
    `;
    const { spawnSync } = await import('node:child_process');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 5000 });
    expect(run.signal, 'the client spun').to.equal(null);
    const outcomes = JSON.parse(run.stdout) as string[];
    expect(outcomes).to.have.length(3);
    for (const outcome of outcomes) expect(outcome).to.match(/went away/);
  });

  it('refuses a message that cannot be encoded without registering it', async () => {
    const { runtime } = stuckRuntime();
    const client = new RuntimeClient(runtime, options);
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    const error = await client.call({ op: 'forward', batch: deep }).catch((e: Error) => e);
    expect(error).to.be.instanceOf(RangeError);
    expect(await Promise.race([client.call({ op: 'status' }).then(() => 'answered', () => 'failed'), new Promise((r) => setTimeout(() => r('pending'), 50))])).to.equal('pending');
  });
});

describe('RuntimeClient under a runtime that breaks the framing', () => {
  it('closes the channel on a reply frame above the limit: the calls in flight fail with why and the runtime is to be replaced', async () => {
    const { runtime, replies } = stuckRuntime();
    let closed = 0;
    const client = new RuntimeClient(runtime, { ...options, onClosed: () => closed++ });
    const call = client.call({ op: 'status' }).catch((e: RuntimeError) => e);
    const header = Buffer.alloc(4);
    header.writeUInt32LE(256 * 1024 * 1024 + 1);
    replies.write(header);
    const error = (await call) as RuntimeError;
    expect(error.code).to.equal('RUNTIME_UNAVAILABLE');
    expect(error.message).to.equal(`the runtime on cuda:0 (pid 4242) sent a reply frame of ${256 * 1024 * 1024 + 1} bytes, above the ${256 * 1024 * 1024}-byte limit; its channel was closed and it will be replaced`);
    expect(closed).to.equal(1);
  });
});

describe('RuntimeClient while a reply is due', () => {
  /** A runtime that answers each request `delayMs` after it arrives. */
  function slowRuntime(delayMs: number) {
    const replies = new PassThrough();
    const requests = new Writable({
      write(chunk: Buffer, _encoding, done) {
        const { id } = JSON.parse(chunk.subarray(4).toString('utf8')) as { id: number };
        setTimeout(() => replies.write(encodeFrame({ id, ok: true })), delayMs);
        done();
      },
    });
    return pipedRuntime(requests, replies, 4243);
  }

  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
  const after = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  it('clears a call\'s timer when it is answered in time: a healthy runtime is never timed out later', async () => {
    let timeouts = 0;
    const client = new RuntimeClient(slowRuntime(0), { ...options, requestTimeoutMs: 60, onTimeout: () => void timeouts++ });
    for (let i = 0; i < 3; i++) expect(await client.call({ op: 'status' })).to.include({ ok: true });
    await after(200); // past three timeouts' worth
    expect(timeouts).to.equal(0);
    // The boundary's other side: a call not answered within the timeout fails and reports it.
    const silent = new RuntimeClient(stuckRuntime().runtime, { ...options, requestTimeoutMs: 60, onTimeout: () => void timeouts++ });
    const failed = await silent.call({ op: 'status' }).catch((e: RuntimeError) => e.code);
    expect([failed, timeouts]).to.deep.equal(['REQUEST_TIMEOUT', 1]);
  });

  /**
   * Whether the client polls as the call is made, 150 ms into a 300 ms wait, and once the reply is
   * in. The call starts polling before it returns; timers run in order of expiry, so the 150 ms
   * look comes before the 300 ms reply however loaded the machine; the extra turn lets a polling
   * turn queued before the look run first.
   */
  async function pollingDuringWait(replyPollingMicros: number) {
    const client = new RuntimeClient(slowRuntime(300), { ...options, replyPollingMicros });
    const reply = client.call({ op: 'status' });
    const atStart = client.isPollingForReplies;
    await after(150);
    await tick();
    const midway = client.isPollingForReplies;
    expect(await reply).to.deep.include({ ok: true });
    await tick();
    await tick();
    return { atStart, midway, afterReply: client.isPollingForReplies };
  }

  it('keeps the event loop polling up to the budget (ipc_profile), and sleeps without one', async () => {
    expect(await pollingDuringWait(0), 'no budget: the loop never polls').to.deep.equal({ atStart: false, midway: false, afterReply: false });
    expect(await pollingDuringWait(1_000_000), 'a budget longer than the wait: it polls until the reply').to.deep.equal({ atStart: true, midway: true, afterReply: false });
    expect(await pollingDuringWait(50_000), 'a 50 ms budget: it polls, then sleeps before the reply').to.deep.equal({ atStart: true, midway: false, afterReply: false });
  });
});

describe('replyPollingMicros', () => {
  it('takes spin_budget_us when set, else the ipc_profile budget (latency: until the reply, power: never)', () => {
    expect(replyPollingMicros({ ipc_profile: 'balanced', spin_budget_us: 250 })).to.equal(250);
    expect(replyPollingMicros({ ipc_profile: 'power', spin_budget_us: 0 })).to.equal(0);
    expect(replyPollingMicros({ ipc_profile: 'balanced' })).to.equal(1000);
    expect(replyPollingMicros({ ipc_profile: 'latency' })).to.equal(Number.POSITIVE_INFINITY);
    expect(replyPollingMicros({ ipc_profile: 'power' })).to.equal(0);
  });
});

describe('RuntimeClient: in-flight bound, ids, timeouts and stray replies', () => {
  /** A runtime that records each request and answers only when the test says. */
  function heldRuntime() {
    const replies = new PassThrough();
    const received: { id: number; op: string }[] = [];
    const requests = new Writable({
      write(chunk: Buffer, _encoding, done) {
        received.push(JSON.parse(chunk.subarray(4).toString('utf8')) as { id: number; op: string });
        done();
      },
    });
    const runtime = pipedRuntime(requests, replies, 4244);
    const answer = (id: number, extra: Record<string, unknown> = {}) => replies.write(encodeFrame({ id, ok: true, ...extra }));
    return { runtime, received, answer, replies };
  }
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

  it('keeps at most maxInFlight requests on the wire and gives each caller the reply with its id', async () => {
    const { runtime, received, answer } = heldRuntime();
    const client = new RuntimeClient(runtime, { ...options, maxInFlight: 2 });
    const calls = ['a', 'b', 'c'].map((op) => client.call({ op }));
    await turn();
    expect(received.map((m) => m.op)).to.deep.equal(['a', 'b']);
    expect(new Set(received.map((m) => m.id)).size).to.equal(2);
    answer(received[1]!.id, { tag: 'for b' });
    expect(await calls[1]).to.deep.include({ tag: 'for b' });
    await turn();
    expect(received.map((m) => m.op), 'the answer freed a slot').to.deep.equal(['a', 'b', 'c']);
    answer(received[2]!.id, { tag: 'for c' });
    answer(received[0]!.id, { tag: 'for a' });
    expect(await calls[0]).to.deep.include({ tag: 'for a' });
    expect(await calls[2]).to.deep.include({ tag: 'for c' });
  });

  it('fails a request the runtime does not answer in time, calls onTimeout, ignores the late reply and frees the slot', async () => {
    const { runtime, received, answer } = heldRuntime();
    let timeouts = 0;
    const client = new RuntimeClient(runtime, { ...options, maxInFlight: 1, requestTimeoutMs: 30, onTimeout: () => void timeouts++ });
    const first = client.call({ op: 'forward' }).catch((e: RuntimeError) => `${e.code}: ${e.message}`);
    const second = client.call({ op: 'status' });
    expect(await first).to.equal('REQUEST_TIMEOUT: the runtime did not answer forward within 30 ms');
    expect(timeouts).to.equal(1);
    answer(received[0]!.id, { tag: 'late' });
    await turn();
    expect(received.map((m) => m.op)).to.deep.equal(['forward', 'status']);
    answer(received[1]!.id, { tag: 'on time' });
    expect(await second).to.deep.include({ tag: 'on time' });
    expect(timeouts).to.equal(1);
  });

  it('skips replies that are not JSON, carry no numeric id or an unknown one', async () => {
    const { runtime, received, answer, replies } = heldRuntime();
    const client = new RuntimeClient(runtime, options);
    const call = client.call({ op: 'status' });
    await turn();
    const id = received[0]!.id;
    const garbage = Buffer.from('{not json');
    const header = Buffer.alloc(4);
    header.writeUInt32LE(garbage.length);
    replies.write(Buffer.concat([header, garbage]));
    replies.write(encodeFrame({ id: String(id), ok: true, tag: 'string id' }));
    replies.write(encodeFrame({ id: id + 1000, ok: true, tag: 'unknown id' }));
    answer(id, { tag: 'right' });
    expect(await call).to.deep.include({ tag: 'right' });
  });

  it('waits for the request pipe to drain before writing more, and writes nothing once closed while waiting', async () => {
    const replies = new PassThrough();
    const written: string[] = [];
    const callbacks: (() => void)[] = [];
    // A pipe that takes one frame at a time: each write is acknowledged only when the test says.
    const requests = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, done) {
        written.push((JSON.parse(chunk.subarray(4).toString('utf8')) as { op: string }).op);
        callbacks.push(done);
      },
    });
    const runtime = pipedRuntime(requests, replies, 4245);
    const client = new RuntimeClient(runtime, options);
    const listeners = () => ['drain', 'close', 'error'].map((event) => requests.listenerCount(event));
    const idle = listeners();
    void client.call({ op: 'a' }).catch(() => undefined);
    void client.call({ op: 'b' }).catch(() => undefined);
    await turn();
    expect(written, 'b waits: the pipe is full after a').to.deep.equal(['a']);
    callbacks.shift()!();
    await turn();
    await turn();
    expect(written, 'a drained: b goes').to.deep.equal(['a', 'b']);
    const c = client.call({ op: 'c' }).catch((e: Error) => e.message);
    await turn();
    client.close(new Error('the runtime went away'));
    expect(await c).to.equal('the runtime went away');
    callbacks.shift()!();
    await turn();
    await turn();
    expect(written, 'c was never written').to.deep.equal(['a', 'b']);
    expect(listeners(), 'each wait removed every listener it added').to.deep.equal(idle);
  });

  it('tells its owner when the reply channel closes, and names the runtime in every failure', async () => {
    const { runtime, replies } = heldRuntime();
    let closed = 0;
    const client = new RuntimeClient(runtime, { ...options, onClosed: () => void closed++ });
    const call = client.call({ op: 'forward' }).catch((e: RuntimeError) => `${e.code}: ${e.message}`);
    replies.destroy();
    expect(await call).to.equal('RUNTIME_UNAVAILABLE: the runtime on cuda:0 (pid 4244) went away while this request was in flight (it died or closed its channel)');
    expect(closed).to.equal(1);
    client.close(new Error('closed again'));
    expect(await client.call({ op: 'status' }).catch((e: Error) => e.message)).to.match(/went away/);
  });
});
