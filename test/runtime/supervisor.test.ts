import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { Tokens } from '../../src/driver/tokens.js';
import type { Clock } from '../../src/runtime/clock.js';
import { MemoryLogger } from '../../src/runtime/logger.js';
import { OutputTail } from '../../src/runtime/output-tail.js';
import type { LaunchedRuntime, LaunchSpec, RuntimeLauncher } from '../../src/runtime/runtime-launcher.js';
import { defaultPolicy, RuntimeSupervisor } from '../../src/runtime/runtime-supervisor.js';
import { simulatedDriver } from '../helpers/driver-fixture.js';

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
