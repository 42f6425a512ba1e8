import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { expect } from 'chai';
import { Tokens } from '../../src/driver/tokens.js';
import type { Clock } from '../../src/runtime/clock.js';
import { MemoryLogger } from '../../src/runtime/logger.js';
import { encodeFrame } from '../../src/runtime/frame-codec.js';
import { OutputTail } from '../../src/runtime/output-tail.js';
import { RuntimeError } from '../../src/runtime/runtime-errors.js';
import type { LaunchedRuntime, LaunchSpec, RuntimeLauncher } from '../../src/runtime/runtime-launcher.js';
import { RuntimeSupervisor } from '../../src/runtime/runtime-supervisor.js';
import { defaultPolicy } from '../../src/runtime/supervisor-policy.js';
import { simulatedDriver, waitFor } from '../helpers/driver-fixture.js';
import { processState } from '../helpers/process-state.js';

const CAPABILITIES = {
  total_pages: 64, kv_page_size: 16, swap_pool_size: 0, max_forward_tokens: 512, max_forward_requests: 8, max_page_refs: 64, max_logit_rows: 512,
  max_prob_rows: 512, max_custom_mask_bytes: 0, max_sampler_rows: 8, max_logprob_labels: 0, arch_name: 'Fake', vocab_size: 100, max_model_len: 64,
  activation_dtype: 'auto', supports_user_attention_mask: false, supports_adapters: false,
};

/** Runtimes that exist only in memory: the test decides when they die. */
class FakeLauncher implements RuntimeLauncher {
  readonly launched: (EventEmitter & { exitCode: number | null })[] = [];
  private nextPid = 4_100_000; // above any real pid, so group signals find nothing

  async launch(_spec: LaunchSpec): Promise<LaunchedRuntime> {
    const child = Object.assign(new EventEmitter(), { exitCode: null as number | null });
    this.launched.push(child);
    return { child: child as never, pid: this.nextPid++, capabilities: CAPABILITIES, engine: { name: 'fake', version: '0' }, requests: new PassThrough(), replies: new PassThrough(), output: new OutputTail() };
  }

  crashLatest(): void {
    const child = this.launched.at(-1)!;
    child.exitCode = 1;
    child.emit('exit', 1, null);
  }
}

/** Time that moves only when the supervisor sleeps or the test says so. */
class FakeClock implements Clock {
  time = 0;
  readonly sleeps: number[] = [];
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
  }
}

const settle = () => new Promise((r) => setImmediate(r));

function supervisor(launcher: FakeLauncher, clock: FakeClock): RuntimeSupervisor {
  const spec = { interpreter: { python: 'python3', source: 'test' }, model: { name: 'm', hf_repo: 'r' }, driver: {} as never, device: 'cuda:0', simulate: true, readyTimeoutMs: 1000 };
  return new RuntimeSupervisor(spec, launcher, new MemoryLogger(), clock, { ...defaultPolicy, shutdownGraceMs: 10 });
}

describe('RuntimeSupervisor with a fake launcher and clock', () => {
  it('restarts with exponential backoff and gives up after 5 crashes in 3 minutes, saying why', async () => {
    const launcher = new FakeLauncher();
    const clock = new FakeClock();
    const s = supervisor(launcher, clock);
    await s.start();
    for (let crash = 1; crash <= 5; crash++) {
      launcher.crashLatest();
      await settle();
    }
    expect(clock.sleeps).to.deep.equal([200, 400, 800, 1600]);
    expect(s.restarts).to.equal(4);
    expect(s.state).to.equal('failed');
    expect(s.reason).to.match(/crashed 5 times in 180 s \(last: exited \(code 1\)\); gave up/);
    await s.call({ op: 'status' }).then(
      () => expect.fail('a given-up runtime answered'),
      (error: Error & { code: string }) => expect(error.code).to.equal('RUNTIME_GAVE_UP'),
    );
  });

  it('keeps restarting crashes that are further apart than the window', async () => {
    const launcher = new FakeLauncher();
    const clock = new FakeClock();
    const s = supervisor(launcher, clock);
    await s.start();
    for (let crash = 1; crash <= 8; crash++) {
      clock.time += 4 * 60_000;
      launcher.crashLatest();
      await settle();
    }
    expect(s.state).to.equal('ready');
    expect(s.restarts).to.equal(8);
    expect(new Set(clock.sleeps)).to.deep.equal(new Set([200]));
  });

  it('is the launcher a driver uses when a host registers it (no Python process starts)', async () => {
    const launcher = new FakeLauncher();
    const driver = simulatedDriver({
      setup: (c) => {
        c.register(Tokens.RuntimeLauncher, { useValue: launcher });
        c.register(Tokens.SupervisorPolicy, { useValue: { ...defaultPolicy, shutdownGraceMs: 10 } });
      },
    });
    const capabilities = await driver.start();
    expect(capabilities.arch_name).to.equal('Fake');
    expect(launcher.launched).to.have.length(1);
    await driver.dispose();
  });
});

/** A launcher whose runtimes answer `status` and end on `shutdown`, and whose launches can fail. */
class ScriptedLauncher extends FakeLauncher {
  failures: RuntimeError[] = [];
  /** Whether a runtime exits when asked to shut down (false: it ignores every request). */
  obeys = true;
  /** `status` requests the runtimes received. */
  statusRequests = 0;
  /** While set, status replies wait for `answerStatus()`. */
  holdStatus = false;
  private heldStatus: (() => void)[] = [];
  answerStatus(): void {
    for (const answer of this.heldStatus.splice(0)) answer();
  }
  override async launch(spec: LaunchSpec): Promise<LaunchedRuntime> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    const runtime = await super.launch(spec);
    const child = this.launched.at(-1)!;
    const replies = runtime.replies as PassThrough;
    const requests = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        const message = JSON.parse(chunk.subarray(4).toString('utf8')) as { id: number; op: string };
        if (!this.obeys) return done();
        if (message.op === 'status') {
          this.statusRequests++;
          const answer = () => replies.write(encodeFrame({ id: message.id, ok: true, status: { engine_calls: 3, tokens_generated: 9 } }));
          if (this.holdStatus) this.heldStatus.push(answer);
          else answer();
        }
        if (message.op === 'shutdown') {
          child.exitCode = 0;
          child.emit('exit', 0, null);
        }
        done();
      },
    });
    return { ...runtime, requests };
  }
}

function scripted(policy: Partial<typeof defaultPolicy> = {}) {
  const launcher = new ScriptedLauncher();
  const clock = new FakeClock();
  const logger = new MemoryLogger();
  const spec = { interpreter: { python: 'python3', source: 'test' }, model: { name: 'm', hf_repo: 'r' }, driver: {} as never, device: 'cuda:3', simulate: true, readyTimeoutMs: 1000 };
  const s = new RuntimeSupervisor(spec, launcher, logger, clock, { ...defaultPolicy, shutdownGraceMs: 10, ...policy });
  return { launcher, clock, logger, s };
}

const failure = (why: string, tail = '') => new RuntimeError('RUNTIME_START_FAILED', why, tail);

describe('RuntimeSupervisor: backoff, restart failures, states and shutdown', () => {
  it('doubles the delay up to the cap, counting only crashes inside the window', async () => {
    const { launcher, clock, s } = scripted({ maxCrashes: 10, backoffBaseMs: 100, backoffMaxMs: 500 });
    await s.start();
    for (let crash = 1; crash <= 6; crash++) {
      launcher.crashLatest();
      await settle();
    }
    // 100, 200, 400, then the 500 ms cap binds (800 and 1,600 would follow without it).
    expect(clock.sleeps).to.deep.equal([100, 200, 400, 500, 500, 500]);
    clock.time += 180_000; // every earlier crash leaves the window (it is 3 minutes wide)
    launcher.crashLatest();
    await settle();
    expect(clock.sleeps.at(-1)).to.equal(100);
    expect(s.state).to.equal('ready');
  });

  it('counts a failed restart as a crash, and gives up quoting the last three lines of output', async () => {
    const { launcher, logger, s } = scripted({ maxCrashes: 3 });
    await s.start();
    launcher.failures.push(failure('engine load failed\nsecond line', 'a\nb\nc\nOutOfMemoryError: CUDA'), failure('engine load failed'));
    launcher.crashLatest();
    for (let i = 0; i < 5; i++) await settle();
    expect(s.state).to.equal('failed');
    expect(s.reason).to.equal('the runtime on cuda:3 crashed 3 times in 180 s (last: restart failed: engine load failed); gave up');
    expect(logger.lines.filter((l) => l.startsWith('error: '))).to.deep.equal([`error: ${s.reason}`]);
    const tailed = scripted({ maxCrashes: 2 });
    await tailed.s.start();
    tailed.launcher.failures.push(failure('engine load failed', 'a\nb\nc\nOutOfMemoryError: CUDA'));
    tailed.launcher.crashLatest();
    for (let i = 0; i < 5; i++) await settle();
    expect(tailed.s.reason).to.equal('the runtime on cuda:3 crashed 2 times in 180 s (last: restart failed: engine load failed); gave up. Last output: b | c | OutOfMemoryError: CUDA');
  });

  it('says why it is not serving in each state, with the code a host can act on', async () => {
    const { launcher, s } = scripted({ maxCrashes: 2 });
    const refusal = async () => s.call({ op: 'status' }).then(() => 'answered', (e: RuntimeError) => `${e.code}: ${e.message}`);
    expect(await refusal()).to.equal('RUNTIME_UNAVAILABLE: the runtime on cuda:3 is not serving (idle)');
    await s.start();
    expect(await refusal()).to.equal('answered');
    launcher.failures.push(failure('no GPU'));
    launcher.crashLatest();
    expect(await refusal()).to.equal('RUNTIME_UNAVAILABLE: the runtime on cuda:3 is not serving (restarting after it exited (code 1))');
    for (let i = 0; i < 5; i++) await settle();
    expect(await refusal()).to.equal('RUNTIME_GAVE_UP: the runtime on cuda:3 is not serving (gave up: the runtime on cuda:3 crashed 2 times in 180 s (last: restart failed: no GPU); gave up)');
  });

  it('reports status: the runtime\'s counters while ready, the reason otherwise', async () => {
    const { launcher, s } = scripted({ maxCrashes: 2 });
    await s.start();
    const pid = s.pid;
    expect(await s.status()).to.deep.equal({ device: 'cuda:3', pid, state: 'ready', restarts: 0, engine_calls: 3, tokens_generated: 9, runtime: { engine_calls: 3, tokens_generated: 9 }, processes: [] });
    launcher.failures.push(failure('no GPU'));
    launcher.crashLatest();
    expect(await s.status()).to.deep.equal({ device: 'cuda:3', pid: null, state: 'restarting', restarts: 0, engine_calls: 0, tokens_generated: 0, reason: 'exited (code 1)', processes: [] });
  });

  it('concurrent status calls share one round trip to the runtime; a call after it has answered makes the next', async () => {
    const { launcher, s } = scripted();
    await s.start();
    launcher.holdStatus = true;
    const calls = Array.from({ length: 50 }, (_, i) => s.status({ processes: i % 2 === 0 }));
    await waitFor(() => launcher.statusRequests === 1, 2000, 'the status request');
    await settle();
    expect(launcher.statusRequests).to.equal(1);
    launcher.answerStatus();
    const answers = await Promise.all(calls);
    expect(answers.every((a) => a.engine_calls === 3 && a.tokens_generated === 9)).to.equal(true);
    launcher.holdStatus = false;
    await s.status();
    expect(launcher.statusRequests).to.equal(2);
    await s.shutdown();
  });

  it('tells listeners its contexts are lost when the runtime dies, not when it is shut down', async () => {
    const { launcher, logger, s } = scripted();
    let lost = 0;
    s.onContextsLost(() => lost++);
    await s.start();
    launcher.crashLatest();
    await settle();
    expect(lost).to.equal(1);
    expect(logger.lines).to.include.members([`warn: runtime on cuda:3 (pid 4100000) exited (code 1); restarting`, 'info: runtime on cuda:3 restarted (pid 4100001)']);
    await s.shutdown();
    expect(lost).to.equal(1);
    expect(s.state).to.equal('stopped');
  });

  it('shuts down by asking first, and escalates to SIGTERM and SIGKILL only when the runtime does not exit', async () => {
    const polite = scripted();
    await polite.s.start();
    await polite.s.shutdown();
    expect(polite.clock.sleeps, 'it exited on the shutdown request, within the first grace period').to.deep.equal([10]);
    expect(polite.logger.lines.filter((l) => l.startsWith('error'))).to.deep.equal([]);

    const deaf = scripted();
    deaf.launcher.obeys = false;
    await deaf.s.start();
    await deaf.s.shutdown();
    expect(deaf.clock.sleeps, 'shutdown request, SIGTERM, SIGKILL: a grace period each').to.deep.equal([10, 10, 10]);
    expect(deaf.logger.lines).to.include('error: the runtime on cuda:3 (pid 4100000) did not exit after SIGKILL');
    expect(deaf.s.state).to.equal('stopped');
  });

  it('kills a runtime that stops answering, saying so, and fails calls in flight at shutdown with why', async () => {
    const { launcher, logger, s } = scripted({ requestTimeoutMs: 20 });
    launcher.obeys = false;
    await s.start();
    expect(await s.call({ op: 'forward' }).catch((e: RuntimeError) => e.code)).to.equal('REQUEST_TIMEOUT');
    expect(logger.lines).to.include('warn: runtime on cuda:3 (pid 4100000) stopped answering; killing it');
    const inFlight = s.call({ op: 'forward' }).catch((e: RuntimeError) => `${e.code}: ${e.message}`);
    await s.shutdown();
    expect(await inFlight).to.equal('RUNTIME_UNAVAILABLE: the runtime on cuda:3 is shut down');
  });

  it('does not restart a runtime that dies while it is being shut down', async () => {
    const { launcher, logger, s } = scripted();
    launcher.obeys = false;
    let lost = 0;
    s.onContextsLost(() => lost++);
    await s.start();
    const stopping = s.shutdown();
    launcher.crashLatest();
    await stopping;
    for (let i = 0; i < 5; i++) await settle();
    expect([s.state, lost, launcher.launched.length]).to.deep.equal(['stopped', 0, 1]);
    expect(logger.lines.filter((l) => l.includes('restarting'))).to.deep.equal([]);
  });

  it('kills a runtime whose channel closed while its process lives, and leaves one that already exited to its exit', async () => {
    const { launcher, logger, s } = scripted();
    await s.start();
    // The fake runtime's reply stream is the one the client reads: closing it is the runtime closing fd 5.
    const first = (s as unknown as { runtime: LaunchedRuntime }).runtime;
    (first.replies as PassThrough).destroy();
    await settle();
    expect(logger.lines).to.include('warn: the channel to the runtime on cuda:3 (pid 4100000) closed; killing it');
    launcher.crashLatest();
    await settle();
    const second = (s as unknown as { runtime: LaunchedRuntime }).runtime;
    launcher.launched.at(-1)!.exitCode = 1; // exited, its exit event not yet handled
    (second.replies as PassThrough).destroy();
    await settle();
    expect(logger.lines.filter((l) => l.includes('channel to the runtime'))).to.have.length(1);
  });

  it('does not restart a runtime that was shut down during its backoff, or while its restart was launching', async () => {
    const held: (() => void)[] = [];
    const waiting = scripted();
    waiting.clock.sleep = (ms: number) => new Promise<void>((resolve) => (waiting.clock.sleeps.push(ms), held.push(resolve)));
    await waiting.s.start();
    waiting.launcher.crashLatest();
    for (let i = 0; i < 3; i++) await settle();
    expect(held, 'asleep in its backoff').to.have.length(1);
    await waiting.s.shutdown();
    held.shift()!();
    for (let i = 0; i < 3; i++) await settle();
    expect([waiting.s.state, waiting.launcher.launched.length]).to.deep.equal(['stopped', 1]);

    // A launcher honours the abort: shutdown cancels the restart mid-load and nothing is attached.
    const cancelled = scripted();
    await cancelled.s.start();
    let seen: AbortSignal | undefined;
    cancelled.launcher.launch = (_spec: LaunchSpec, signal?: AbortSignal) =>
      new Promise<never>((_, reject) => {
        seen = signal;
        signal!.addEventListener('abort', () => reject(new RuntimeError('RUNTIME_UNAVAILABLE', 'cancelled')));
      });
    cancelled.launcher.crashLatest();
    for (let i = 0; i < 3; i++) await settle();
    expect(seen?.aborted, 'a restart is launching').to.equal(false);
    await cancelled.s.shutdown();
    expect(seen!.aborted).to.equal(true);
    expect([cancelled.s.state, cancelled.s.pid, cancelled.launcher.launched.length]).to.deep.equal(['stopped', undefined, 1]);

    // A runtime that becomes ready just as the shutdown comes: shutdown waits for it and ends it.
    const launching = scripted();
    await launching.s.start();
    let release!: () => void;
    const launch = launching.launcher.launch.bind(launching.launcher);
    launching.launcher.launch = (spec: LaunchSpec) => new Promise<void>((resolve) => (release = resolve)).then(() => launch(spec));
    launching.launcher.crashLatest();
    for (let i = 0; i < 3; i++) await settle();
    let stopped = false;
    const stopping = launching.s.shutdown().then(() => (stopped = true));
    for (let i = 0; i < 3; i++) await settle();
    expect(stopped, 'shutdown waits for the launch in progress to settle').to.equal(false);
    release();
    await stopping;
    expect([launching.s.state, launching.s.pid, launching.launcher.launched.length]).to.deep.equal(['stopped', undefined, 2]);
  });

  it('fails a start that became ready just as the shutdown came, saying it was cancelled', async () => {
    const { launcher, logger, s } = scripted();
    let release!: () => void;
    const launch = launcher.launch.bind(launcher);
    launcher.launch = (spec: LaunchSpec) => new Promise<void>((resolve) => (release = resolve)).then(() => launch(spec));
    const starting = s.start().then(() => 'started', (e: RuntimeError) => `${e.code}: ${e.message}`);
    await settle();
    const stopping = s.shutdown();
    release();
    expect(await starting).to.equal('RUNTIME_UNAVAILABLE: the start of the runtime on cuda:3 was cancelled: the driver is shutting down');
    await stopping;
    expect([s.state, s.pid, launcher.launched.length]).to.deep.equal(['stopped', undefined, 1]);
    expect(logger.lines.filter((l) => l.includes('restarted')), 'nothing attached').to.deep.equal([]);
  });

  it('lists the processes its runtime starts once ready, and ends them when the runtime dies', async function () {
    this.timeout(20_000);
    // A stand-in runtime that, when told, starts a worker in a session of its own, as an MPI
    // daemon does: outside the runtime's group, so only the recorded list can end it.
    // It says when Python runs: `python3` may be a launcher (pyenv's shim) whose own helpers are
    // its children until it hands over.
    const runtime = spawn('python3', ['-c', 'import subprocess, sys, time\nprint("running", flush=True)\nsys.stdin.readline()\np = subprocess.Popen(["sleep", "30"], start_new_session=True)\nprint(p.pid, flush=True)\ntime.sleep(30)'], { detached: true, stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: runtime.stdout! })[Symbol.asyncIterator]();
    expect((await lines.next()).value).to.equal('running');
    const { launcher, s } = scripted();
    const launch = launcher.launch.bind(launcher);
    launcher.launch = async (spec: LaunchSpec) => {
      const launched = await launch(spec);
      return launcher.launched.length === 1 ? { ...launched, pid: runtime.pid! } : launched;
    };
    let worker = 0;
    try {
      await s.start();
      expect((await s.status()).processes.map((p) => p.pid)).to.deep.equal([runtime.pid]);
      runtime.stdin!.write('\n');
      worker = Number((await lines.next()).value);
      expect((await s.status()).processes.map((p) => p.pid), 'the worker started after ready').to.deep.equal([runtime.pid, worker]);
      launcher.crashLatest();
      expect(await waitFor(() => ['Z', undefined].includes(processState(worker)) || undefined, 5000, 'the worker outside the group to end')).to.equal(true);
      await s.shutdown();
    } finally {
      for (const pid of [runtime.pid!, worker]) {
        try {
          if (pid) process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }
  });

  it('does not restart a runtime that was shut down while its restart was waiting', async () => {
    const { launcher, s } = scripted();
    await s.start();
    launcher.crashLatest();
    const stopping = s.shutdown();
    await stopping;
    for (let i = 0; i < 5; i++) await settle();
    expect(s.state).to.equal('stopped');
    expect(launcher.launched).to.have.length(1);
  });
});
