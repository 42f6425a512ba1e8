import { expect } from 'chai';
import type { ForwardBatch } from '../../src/capabilities/forward-types.js';
import type { DriverHandle } from '../../src/plugin/driver-handle.js';
import { batchOf, greedyContinuation, GREEDY, simulatedDriver } from '../helpers/driver-fixture.js';
import { budget } from '../helpers/test-budget.js';

type RuntimeStatus = { runtime: { contexts: number; evictions: number; resident_bytes: number; engine_calls: number; tokens_generated: number } };
const runtimeOf = async (driver: DriverHandle) => ((await driver.status()) as RuntimeStatus[])[0]!.runtime;
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

describe('load', function () {
  this.timeout(budget(120_000, 900_000));

  it('keeps memory bounded for 10,000 contexts through max_session_histories = 1,000', async () => {
    const contexts = budget(10_000, 10_000);
    const driver = simulatedDriver({ table: { type: 'tensorrt_llm', device: 'cuda:0', options: { max_session_histories: 1000 } } });
    try {
      await driver.start();
      const prompt = Array.from({ length: 32 }, (_, i) => i + 1);
      const wave = async (first: number) => {
        const requests = Array.from({ length: 100 }, (_, i) => [first + i, prompt, 0, GREEDY] as [number, number[], number, typeof GREEDY]);
        const results = await driver.forward(batchOf(requests));
        expect(results.every((r) => 'tokens' in r)).to.equal(true);
      };
      await wave(0);
      const before = await runtimeOf(driver);
      for (let first = 100; first < contexts; first += 100) await wave(first);
      const after = await runtimeOf(driver);
      console.log(`      ${contexts} contexts, bound 1,000: runtime resident ${mib(before.resident_bytes)} MiB after the first 100, ${mib(after.resident_bytes)} MiB after all; ${after.contexts} kept, ${after.evictions} evicted`);
      expect(after.contexts).to.equal(1000);
      expect(after.evictions).to.equal(contexts - 1000);
      expect(after.resident_bytes - before.resident_bytes).to.be.below(64 * 2 ** 20);
      // The oldest contexts are gone and say so; the newest are served.
      const results = await driver.forward(batchOf([[0, [greedyContinuation(prompt, 1)[0]!], 32, GREEDY], [contexts - 1, [greedyContinuation(prompt, 1)[0]!], 32, GREEDY]]));
      expect(results[0]).to.have.nested.property('error.code', 'MISSING_REPLAY_PREFIX');
      expect(results[1]).to.deep.equal({ tokens: greedyContinuation(prompt, 2).slice(1) });
      // The driver forgot the evicted contexts with the runtime: its own bookkeeping stays bounded.
      const inner = driver.driver as unknown as { tracker: { size: number } };
      expect(inner.tracker.size).to.be.at.most(1001);
    } finally {
      await driver.dispose();
    }
  });

  it(`decodes ${budget('10,000', '100,000')} tokens on one context with memory growing only by its history`, async () => {
    const steps = budget(10_000, 100_000);
    // A context this long needs chunked prefill: LLM.generate refuses prompts above max_num_tokens otherwise.
    const driver = simulatedDriver({ table: { type: 'tensorrt_llm', device: 'cuda:0', options: { enable_chunked_prefill: true } } });
    try {
      await driver.start();
      const step = (token: number, position: number): ForwardBatch => batchOf([[1, [token], position, GREEDY]]);
      let [result] = await driver.forward(batchOf([[1, [7, 8, 9], 0, GREEDY]]));
      const before = await runtimeOf(driver);
      const tokens = [(result as { tokens: number[] }).tokens[0]!];
      for (let position = 3; tokens.length < steps; position++) {
        [result] = await driver.forward(step(tokens.at(-1)!, position));
        if (!result || !('tokens' in result)) throw new Error(`step at position ${position}: ${JSON.stringify(result)}`);
        tokens.push(result.tokens[0]!);
      }
      const after = await runtimeOf(driver);
      const growth = after.resident_bytes - before.resident_bytes;
      console.log(`      ${steps} tokens on one context: runtime resident ${mib(before.resident_bytes)} → ${mib(after.resident_bytes)} MiB (+${mib(growth)}); ${after.engine_calls} engine calls`);
      expect(tokens).to.deep.equal(greedyContinuation([7, 8, 9], steps));
      // A history of n tokens costs about 40 bytes a token in Python; allow that plus allocator slack.
      expect(growth).to.be.below(steps * 64 + 16 * 2 ** 20);
      expect(after.engine_calls).to.be.at.most(Math.ceil(steps / 16) + 1);
    } finally {
      await driver.dispose();
    }
  });
});
