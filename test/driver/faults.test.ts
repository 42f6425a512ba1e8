import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { Tokens } from '../../src/driver/tokens.js';
import { RuntimeError } from '../../src/runtime/runtime-errors.js';
import { defaultPolicy } from '../../src/runtime/supervisor-policy.js';
import { groupAlive } from '../helpers/process-state.js';
import type { DriverHandle } from '../../src/plugin/driver-handle.js';
import { batchOf, greedyContinuation, GREEDY, simulatedDriver, waitFor, withDriver } from '../helpers/driver-fixture.js';
import { fixtures } from '../helpers/package-paths.js';

type Status = { device: string; pid: number | null; state: string; restarts: number; reason?: string };
const statusOf = async (driver: DriverHandle) => (await driver.status()) as Status[];
/** Waits until the first replica is serving again after its `restarts`-th restart. */
const restarted = (driver: DriverHandle, restarts: number) =>
  waitFor(async () => {
    const s = (await statusOf(driver))[0]!;
    return s.state === 'ready' && s.restarts === restarts ? s : undefined;
  }, 15_000, `restart ${restarts}`);
const fastPolicy = (overrides: Partial<typeof defaultPolicy> = {}) => ({ ...defaultPolicy, backoffBaseMs: 20, backoffMaxMs: 100, shutdownGraceMs: 1000, ...overrides });

describe('faults', function () {
  this.timeout(60_000);

  it('SIGKILL mid-batch fails those requests with RUNTIME_UNAVAILABLE, the other replica serves, the dead one restarts', async () => {
    await withDriver({
      table: { type: 'tensorrt_llm', device: ['cuda:0', 'cuda:1'] },
      env: { PIE_TRTLLM_SIMULATE_GENERATE_SECONDS: '0.5' },
      setup: (c) => c.register(Tokens.SupervisorPolicy, { useValue: fastPolicy() }),
    }, async (driver) => {
      const [victim] = await statusOf(driver);
      // Contexts 1 and 2 land on different replicas (least loaded first).
      const inFlight = driver.forward(batchOf([[1, [1, 2], 0, GREEDY], [2, [3, 4], 0, GREEDY]]));
      await new Promise((r) => setTimeout(r, 150));
      const started = Date.now();
      process.kill(victim!.pid!, 'SIGKILL');
      const results = await inFlight;
      expect(results[0]).to.have.nested.property('error.code', 'RUNTIME_UNAVAILABLE');
      expect((results[0] as { error: { message: string } }).error.message).to.match(/runtime on cuda:0 \(pid \d+\) (went away|died)/);
      expect(results[1]).to.deep.equal({ tokens: greedyContinuation([3, 4], 1) });
      // Failed by the death, not by the 120 s request timeout (a wide margin: CI machines stall).
      expect(Date.now() - started).to.be.below(10_000);
      const replaced = await restarted(driver, 1);
      expect(replaced.pid).to.not.equal(victim!.pid);
      expect(groupAlive(victim!.pid!)).to.equal(false);
      // The lost context needs its prefix again; a fresh request succeeds.
      const after = await driver.forward(batchOf([[1, [9], 2, GREEDY], [3, [5], 0, GREEDY]]));
      expect(after[0]).to.have.nested.property('error.code', 'MISSING_REPLAY_PREFIX');
      expect(after[1]).to.deep.equal({ tokens: greedyContinuation([5], 1) });
    });
  });

  it('survives a runtime that dies with a large frame still being written (SIGSTOP, 30,000 tokens, SIGKILL)', async () => {
    await withDriver({
      table: { type: 'tensorrt_llm', device: 'cuda:0', options: { max_batched_tokens: 65536, enable_chunked_prefill: true } },
      setup: (c) => c.register(Tokens.SupervisorPolicy, { useValue: fastPolicy() }),
    }, async (driver) => {
      const [victim] = await statusOf(driver);
      process.kill(victim!.pid!, 'SIGSTOP');
      const prompt = Array.from({ length: 30_000 }, (_, i) => (i * 7919) % 32000);
      const pending = driver.forward(batchOf([[1, prompt, 0, GREEDY]]));
      await new Promise((r) => setTimeout(r, 200)); // the frame is larger than the pipe: the write is still in progress
      process.kill(victim!.pid!, 'SIGKILL');
      const [result] = await pending;
      expect(result).to.have.nested.property('error.code', 'RUNTIME_UNAVAILABLE');
      await restarted(driver, 1);
      expect(await driver.forward(batchOf([[2, [5], 0, GREEDY]]))).to.deep.equal([{ tokens: greedyContinuation([5], 1) }]);
    });
  });

  it('survives concurrent large forwards while their runtime is killed (12 x 8,192 tokens)', async () => {
    await withDriver({
      table: { type: 'tensorrt_llm', device: 'cuda:0', options: { enable_chunked_prefill: true } },
      env: { PIE_TRTLLM_SIMULATE_GENERATE_SECONDS: '0.05' },
      setup: (c) => c.register(Tokens.SupervisorPolicy, { useValue: fastPolicy() }),
    }, async (driver) => {
      const [victim] = await statusOf(driver);
      const forwards = Array.from({ length: 12 }, (_, i) => driver.forward(batchOf([[100 + i, Array.from({ length: 8192 }, (_, t) => (t + i) % 32000), 0, GREEDY]])));
      await new Promise((r) => setTimeout(r, 30));
      process.kill(victim!.pid!, 'SIGKILL');
      const results = (await Promise.all(forwards)).map(([r]) => r!);
      for (const result of results) {
        if ('error' in result) expect(result.error.code).to.equal('RUNTIME_UNAVAILABLE');
        else expect(result.tokens).to.have.length(1);
      }
      expect(results.some((r) => 'error' in r)).to.equal(true);
      await restarted(driver, 1);
      expect(await driver.forward(batchOf([[2, [5], 0, GREEDY]]))).to.deep.equal([{ tokens: greedyContinuation([5], 1) }]);
    });
  });

  it('gives up after repeated crashes and says why', async () => {
    await withDriver({ setup: (c) => c.register(Tokens.SupervisorPolicy, { useValue: fastPolicy({ maxCrashes: 3 }) }) }, async (driver) => {
      for (let crash = 1; crash <= 3; crash++) {
        const { pid } = (await statusOf(driver))[0]!;
        process.kill(pid!, 'SIGKILL');
        if (crash < 3) await restarted(driver, crash);
      }
      const gaveUp = await waitFor(async () => {
        const s = (await statusOf(driver))[0]!;
        return s.state === 'failed' ? s : undefined;
      }, 15_000, 'give-up');
      expect(gaveUp.reason).to.match(/crashed 3 times in 180 s .*gave up/);
      const results = await driver.forward(batchOf([[1, [1], 0, GREEDY]]));
      expect(results[0]).to.have.nested.property('error.code', 'RUNTIME_UNAVAILABLE');
      expect((results[0] as { error: { message: string } }).error.message).to.match(/gave up/);
    });
  });

  it('gives up on a runtime that dies of a fatal engine error each time, quoting its last output', async () => {
    const env = { PIE_TRTLLM_SIMULATE_ABORT_CALLS: '1' }; // every runtime dies on its first engine call
    await withDriver({ env, setup: (c) => c.register(Tokens.SupervisorPolicy, { useValue: fastPolicy({ maxCrashes: 3 }) }) }, async (driver) => {
      for (let crash = 1; crash <= 3; crash++) {
        const [result] = await driver.forward(batchOf([[crash, [1], 0, GREEDY]]));
        expect(result).to.have.nested.property('error.code', 'RUNTIME_UNAVAILABLE');
        if (crash < 3) await restarted(driver, crash);
      }
      const gaveUp = await waitFor(async () => {
        const s = (await statusOf(driver))[0]!;
        return s.state === 'failed' ? s : undefined;
      }, 15_000, 'give-up');
      expect(gaveUp.reason).to.match(/crashed 3 times in 180 s \(last: exited \(code 134\)\); gave up\. Last output: .*illegal memory access was encountered \(request 1\)/);
    });
  });

  it('kills and replaces a runtime that stops answering (SIGSTOP past the request timeout)', async () => {
    await withDriver({ setup: (c) => c.register(Tokens.SupervisorPolicy, { useValue: fastPolicy({ requestTimeoutMs: 500 }) }) }, async (driver) => {
      const { pid } = (await statusOf(driver))[0]!;
      process.kill(pid!, 'SIGSTOP');
      const results = await driver.forward(batchOf([[1, [1], 0, GREEDY]]));
      expect(results[0]).to.have.nested.property('error.code', 'RUNTIME_UNAVAILABLE');
      expect((results[0] as { error: { message: string } }).error.message).to.match(/did not answer forward within 500 ms/);
      await restarted(driver, 1);
      expect(groupAlive(pid!)).to.equal(false);
      expect(await driver.forward(batchOf([[1, [1], 0, GREEDY]]))).to.deep.equal([{ tokens: greedyContinuation([1], 1) }]);
    });
  });

  it('replaces a runtime whose channel closes, failing what was in flight', async () => {
    await withDriver({ env: { PIE_TRTLLM_SIMULATE_GENERATE_SECONDS: '0.5' }, setup: (c) => c.register(Tokens.SupervisorPolicy, { useValue: fastPolicy() }) }, async (driver) => {
      const { pid } = (await statusOf(driver))[0]!;
      const inFlight = driver.forward(batchOf([[1, [1], 0, GREEDY]]));
      await new Promise((r) => setTimeout(r, 100));
      const replica = (driver.driver as unknown as { pool: { replicas: { runtime: { replies: { destroy(): void } } }[] } }).pool.replicas[0]!;
      replica.runtime.replies.destroy();
      expect((await inFlight)[0]).to.have.nested.property('error.code', 'RUNTIME_UNAVAILABLE');
      await restarted(driver, 1);
      expect(groupAlive(pid!)).to.equal(false);
      expect(await driver.forward(batchOf([[2, [1], 0, GREEDY]]))).to.deep.equal([{ tokens: greedyContinuation([1], 1) }]);
    });
  });

  it('fails only the request whose engine request raises; the runtime stays up', async () => {
    await withDriver({ env: { PIE_TRTLLM_SIMULATE_FAIL_CALLS: '2' } }, async (driver) => {
      expect(await driver.forward(batchOf([[1, [1], 0, GREEDY]]))).to.deep.equal([{ tokens: greedyContinuation([1], 1) }]);
      // Engine request 2 is context 2's stream; context 3 gets request 3; context 4 only prefills.
      const failed = await driver.forward(batchOf([[2, [5], 0, GREEDY], [3, [6], 0, GREEDY], [4, [7], 0]]));
      expect(failed.map((r) => ('error' in r ? r.error.code : 'tokens'))).to.deep.equal(['ENGINE_ERROR', 'tokens', 'tokens']);
      expect((failed[0] as { error: { message: string } }).error.message).to.contain('simulated engine failure on request 2');
      expect(await driver.forward(batchOf([[2, [5], 0, GREEDY]]))).to.deep.equal([{ tokens: greedyContinuation([5], 1) }]);
      const [status] = await statusOf(driver);
      expect([status!.state, status!.restarts]).to.deep.equal(['ready', 0]);
    });
  });

  it('times out a runtime that never sends its handshake, with its stderr tail, leaving no process', async () => {
    const python = join(fixtures, 'interpreters', 'silent-python');
    const driver = simulatedDriver({ table: { type: 'tensorrt_llm', device: 'cuda:0', options: { python } }, readyTimeoutMs: 700 });
    const error = await driver.start().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(RuntimeError).with.property('code', 'HANDSHAKE_TIMEOUT');
    expect((error as RuntimeError).message).to.match(/did not become ready within 700 ms/);
    expect((error as RuntimeError).outputTail).to.contain('loading weights: 3%');
    await driver.dispose();
  });

  it('times out a runtime whose TensorRT-LLM executor worker hangs at start-up, leaving neither of them', async () => {
    const marker = 'PIE_TRTLLM_SIMULATE_WORKER_HANG=1';
    const driver = simulatedDriver({ env: { PIE_TRTLLM_SIMULATE_WORKER_HANG: '1' }, readyTimeoutMs: 2500 });
    const error = await driver.start().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(RuntimeError).with.property('code', 'HANDSHAKE_TIMEOUT');
    await driver.dispose();
    const withMarker = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        const state = readFileSync(`/proc/${p}/stat`, 'latin1');
        return state.slice(state.lastIndexOf(')') + 2, state.lastIndexOf(')') + 3) !== 'Z' && readFileSync(`/proc/${p}/environ`, 'latin1').includes(marker);
      } catch {
        return false;
      }
    });
    expect(await waitFor(() => (withMarker().length === 0 ? true : undefined), 3000, 'the runtime and its worker to end')).to.equal(true);
  });

  it('reports an interpreter without the runtime, and a venv that does not exist, with a code', async () => {
    const python = join(fixtures, 'interpreters', 'no-runtime-python');
    const driver = simulatedDriver({ table: { type: 'tensorrt_llm', device: 'cuda:0', options: { python } } });
    const error = await driver.start().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(RuntimeError).with.property('code', 'RUNTIME_EXITED');
    expect((error as RuntimeError).outputTail).to.contain('No module named pie_trtllm_runtime');
    await driver.dispose();
    // Without --simulate a missing venv is an error naming the source; with it, python3 on PATH stands in.
    const { createHost } = await import('../../src/cli/local-host.js');
    const { registry } = createHost();
    const missing = (() => {
      try {
        registry.resolve('trtllm').create({ model: { name: 'm', hf_repo: 'r' }, table: { type: 'trtllm', device: 'cuda:0', options: { venv: '/nonexistent/venv' } } });
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(missing).to.be.instanceOf(RuntimeError).with.property('code', 'INTERPRETER_NOT_FOUND');
    expect((missing as Error).message).to.match(/\[model\.driver\.options\]\.venv \(\/nonexistent\/venv\): .* is not an executable interpreter; create it with `pie-trtllm install/);
  });
});
