import { expect } from 'chai';
import fc from 'fast-check';
import { REQUEST_ERROR_CODES } from '../../src/capabilities/error-codes.js';
import type { ForwardBatch, ForwardResult } from '../../src/capabilities/forward-types.js';
import type { DriverHandle } from '../../src/plugin/driver-handle.js';
import { GREEDY, greedyNext, simulatedDriver } from '../helpers/driver-fixture.js';
import { budget } from '../helpers/test-budget.js';

/** A value nested `depth` levels deep: deep enough, past ~5,000, to overflow JSON.stringify. It
 *  describes itself to fast-check, whose reporter would overflow printing it. */
function nested(depth: number, leaf: unknown = 1): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 ? { a: value } : [value];
  Object.defineProperty(value, fc.toStringMethod, { value: () => `nested(${depth})`, enumerable: false });
  return value;
}

/** Values no field of a forward request may hold. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, '', '7', -1, -0.5, 1.5, 1e308, 2 ** 53, 2 ** 64, 2 ** 100, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, [], {}, [1], { k: 1 }),
  fc.integer({ min: 2, max: 12_000 }).map((depth) => nested(depth)),
  fc.string({ maxLength: 8 }),
);

/** One way a request can be hostile, each in a field of its own, so only it should fail. */
type Hostility =
  | { where: 'sampler_field'; field: 'temperature' | 'p' | 'type'; value: unknown }
  | { where: 'sampler_extra'; key: string; value: unknown }
  | { where: 'sampler_whole'; value: unknown }
  | { where: 'token' | 'position' | 'context'; value: unknown };

const hostility: fc.Arbitrary<Hostility> = fc.oneof(
  fc.record({ where: fc.constant('sampler_field' as const), field: fc.constantFrom('temperature' as const, 'p' as const, 'type' as const), value: hostileValue }),
  fc.record({ where: fc.constant('sampler_extra' as const), key: fc.constantFrom('k', 'seed', 'extra', '__proto__', 'constructor', 'token_ids'), value: hostileValue }),
  fc.record({ where: fc.constant('sampler_whole' as const), value: hostileValue }),
  fc.record({ where: fc.constantFrom('token' as const, 'position' as const, 'context' as const), value: hostileValue }),
);

interface Spec {
  context: number;
  token: number;
  hostile: Hostility | undefined;
}

const spec: fc.Arbitrary<Spec> = fc.record({
  context: fc.integer({ min: 0, max: 1000 }),
  token: fc.integer({ min: 0, max: 31_999 }),
  hostile: fc.option(hostility, { freq: 2 }),
});

/** Whole-batch hostility: every request fails alike, or the batch is refused whole. */
const batchHostility = fc.constantFrom('none', 'none', 'none', 'none', 'unknown_field', 'deep_field', 'wrong_array', 'over_requests', 'over_tokens');

/** Whether a hostile value really breaks its request, judged from DESIGN §3.5 (a huge temperature
 *  is still a temperature; `min_p` is a sampler type the greedy sampler's fields fit). */
function breaks(h: Hostility | undefined): boolean {
  if (!h) return false;
  if (h.where === 'sampler_field' && h.field === 'temperature') return !(typeof h.value === 'number' && Number.isFinite(h.value) && h.value >= 0);
  if (h.where === 'sampler_field' && h.field === 'p') return !(typeof h.value === 'number' && h.value >= 0 && h.value <= 1);
  if (h.where === 'sampler_field' && h.field === 'type') return h.value !== 'top_p' && h.value !== 'min_p';
  return true;
}

function isDocumentedError(result: ForwardResult): boolean {
  return 'error' in result && Object.hasOwn(REQUEST_ERROR_CODES, result.error.code) && typeof result.error.message === 'string';
}

describe('property: hostile structure through the adapter and a real runtime', function () {
  this.timeout(budget(180_000, 900_000));
  let driver: DriverHandle;
  const used = new Set<number>();
  let nextContext = 10_000;

  before(async () => {
    driver = simulatedDriver({ table: { type: 'tensorrt_llm', device: 'cuda:0', options: { max_concurrent_requests: 16, max_batched_tokens: 64 } } });
    await driver.start();
  });
  after(() => driver.dispose());

  it('answers every request once with a documented code, gives good neighbours the rule\'s token, and never restarts', async () => {
    let cases = 0;
    let batches = 0;
    let hostileRequests = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(spec, { minLength: 1, maxLength: 8 }), batchHostility, async (specs, whole) => {
        cases++;
        // Each good request starts a fresh context at position 0 with a one-token prompt.
        const contexts = specs.map(() => nextContext++);
        const batch: Record<string, unknown> = {
          token_ids: specs.map((s) => s.token), position_ids: specs.map(() => 0), qo_indptr: specs.map((_, i) => i).concat(specs.length),
          context_ids: contexts, samplers: specs.map(() => ({ ...GREEDY }) as Record<string, unknown>), sampler_indptr: specs.map((_, i) => i).concat(specs.length),
        };
        specs.forEach((s, r) => {
          const h = s.hostile;
          if (!h) return;
          const sampler = (batch.samplers as Record<string, unknown>[])[r]!;
          if (h.where === 'sampler_field') sampler[h.field] = h.value;
          else if (h.where === 'sampler_extra') Object.defineProperty(sampler, h.key, { value: h.value, enumerable: true, configurable: true, writable: true });
          else if (h.where === 'sampler_whole') (batch.samplers as unknown[])[r] = h.value;
          else if (h.where === 'token') (batch.token_ids as unknown[])[r] = h.value;
          else if (h.where === 'position') (batch.position_ids as unknown[])[r] = h.value;
          else (batch.context_ids as unknown[])[r] = h.value;
        });
        if (whole === 'unknown_field') batch.priority = [1, 2];
        if (whole === 'deep_field') batch.extra = nested(6000);
        if (whole === 'wrong_array') batch.sampler_indptr = nested(50);
        if (whole === 'over_requests') {
          for (const key of ['token_ids', 'position_ids', 'context_ids']) (batch[key] as unknown[]).push(...new Array(17).fill(0).map((_, i) => (key === 'context_ids' ? nextContext++ : i % 2)));
        }
        if (whole === 'over_tokens') (batch.token_ids as number[]).push(...new Array(65).fill(1));
        batches++;
        hostileRequests += specs.filter((s) => breaks(s.hostile)).length;
        let results: ForwardResult[];
        try {
          results = await driver.forward(batch as unknown as ForwardBatch);
        } catch (error) {
          // Refused whole: only a batch whose structure or size is wrong, with a stable code.
          expect(whole, (error as Error).message).to.be.oneOf(['over_requests', 'over_tokens']);
          expect(error).to.have.property('code', 'INVALID_REQUEST');
          return;
        }
        expect(results).to.have.length((batch.context_ids as unknown[]).length);
        results.forEach((result, r) => {
          const s = specs[r];
          if (whole !== 'none' || breaks(s?.hostile)) {
            expect(isDocumentedError(result), JSON.stringify(result).slice(0, 300)).to.equal(true);
            expect((result as { error: { code: string } }).error.code).to.not.be.oneOf(['ENGINE_ERROR', 'RUNTIME_UNAVAILABLE']);
            return;
          }
          // A good neighbour (or a request whose odd value is still valid): exactly the design's
          // greedy token for its one-token prompt, unless its temperature makes it stochastic.
          const stochastic = s!.hostile?.where === 'sampler_field' && s.hostile.field === 'temperature' && s.hostile.value !== 0;
          if (stochastic) expect(result, `request ${r}`).to.have.property('tokens').with.length(1);
          else expect(result, `good request ${r}`).to.deep.equal({ tokens: [greedyNext([s!.token])] });
          used.add(contexts[r]!);
        });
      }),
      { seed: 20261127, numRuns: budget(150, 2000), endOnFailure: true },
    );
    const [status] = (await driver.status()) as { state: string; restarts: number }[];
    expect([status!.state, status!.restarts]).to.deep.equal(['ready', 0]);
    console.log(`      ${cases} cases, ${batches} batches, ${hostileRequests} hostile requests, ${used.size} good neighbours served, 0 restarts`);
  });
});
