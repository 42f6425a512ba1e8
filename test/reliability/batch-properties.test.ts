import { expect } from 'chai';
import fc from 'fast-check';
import { REQUEST_ERROR_CODES } from '../../src/capabilities/error-codes.js';
import type { ForwardBatch, ForwardResult } from '../../src/capabilities/forward-types.js';
import type { DriverHandle } from '../../src/plugin/driver-handle.js';
import { GREEDY, simulatedDriver } from '../helpers/driver-fixture.js';
import { ReplayModel } from '../helpers/replay-model.js';
import { budget } from '../helpers/test-budget.js';

type Feature = 'none' | 'causal_mask' | 'custom_mask' | 'broken_mask' | 'adapter' | 'logit_mask' | 'speculation' | 'image' | 'audio' | 'bad_token' | 'tail_index' | 'head_index';
type SamplerKind = 'greedy' | 'top_k' | 'multinomial' | 'probe' | 'none' | 'two' | 'bad';

interface RequestSpec {
  context: number;
  start: 'continue' | 'zero' | 'random';
  randomStart: number;
  count: number;
  tokens: number[];
  sampler: SamplerKind;
  feature: Feature;
}

/** What DESIGN §3.3 answers for each feature or sampler; absent: honoured. The multinomial
 *  sampler carries seed 7, which TensorRT-LLM 1.2.1's default sampler does not honour. */
const UNSUPPORTED: Partial<Record<Feature | SamplerKind, string>> = {
  custom_mask: 'UNSUPPORTED_ATTENTION_MASK', adapter: 'UNSUPPORTED_ADAPTER', logit_mask: 'UNSUPPORTED_LOGIT_MASK', speculation: 'UNSUPPORTED_SPECULATION',
  image: 'UNSUPPORTED_MULTIMODAL', audio: 'UNSUPPORTED_MULTIMODAL', probe: 'UNSUPPORTED_PROBE', two: 'UNSUPPORTED_SAMPLER_LAYOUT', head_index: 'UNSUPPORTED_SAMPLER_LAYOUT',
  broken_mask: 'INVALID_REQUEST', bad_token: 'INVALID_REQUEST', bad: 'INVALID_REQUEST', multinomial: 'UNSUPPORTED_SAMPLER',
};

/** Every code the design gives this request, given how far its context can be replayed. */
function problems(spec: RequestSpec, start: number, replayable: number): string[] {
  const found: string[] = [];
  const feature = UNSUPPORTED[spec.feature];
  // A sample index at the head is the tail when the request has one token.
  if (feature && !(spec.feature === 'head_index' && (spec.sampler === 'none' || spec.count === 1))) found.push(feature);
  const sampler = UNSUPPORTED[spec.sampler];
  if (sampler) found.push(sampler);
  if (start > replayable) found.push('MISSING_REPLAY_PREFIX');
  return found;
}

const requestSpec: fc.Arbitrary<RequestSpec> = fc.record({
  context: fc.integer({ min: 1, max: 6 }),
  start: fc.constantFrom('continue', 'continue', 'continue', 'continue', 'zero', 'random'),
  randomStart: fc.integer({ min: 0, max: 40 }),
  count: fc.integer({ min: 1, max: 4 }),
  tokens: fc.array(fc.integer({ min: 0, max: 31999 }), { minLength: 4, maxLength: 4 }),
  sampler: fc.constantFrom<SamplerKind>('greedy', 'greedy', 'greedy', 'greedy', 'top_k', 'multinomial', 'probe', 'none', 'none', 'two', 'bad'),
  feature: fc.constantFrom<Feature>('none', 'none', 'none', 'none', 'none', 'none', 'causal_mask', 'custom_mask', 'broken_mask', 'adapter', 'logit_mask', 'speculation', 'image', 'audio', 'bad_token', 'tail_index', 'head_index'),
});

const corruption = fc.constantFrom('none', 'none', 'none', 'none', 'none', 'none', 'none', 'qo_indptr', 'position_ids', 'sampler_indptr', 'mask_indptr');

function samplersFor(kind: SamplerKind): Record<string, unknown>[] {
  switch (kind) {
    case 'greedy': return [{ ...GREEDY }];
    case 'top_k': return [{ type: 'top_k', temperature: 0.9, k: 40 }];
    case 'multinomial': return [{ type: 'multinomial', temperature: 1.1, seed: 7 }];
    case 'probe': return [{ type: 'entropy' }];
    case 'two': return [{ ...GREEDY }, { ...GREEDY }];
    case 'bad': return [{ type: 'top_p', temperature: -2, p: 1 }];
    case 'none': return [];
  }
}

/** A Pie batch from the specs; positions continue each context where the model says it ends. */
function build(specs: RequestSpec[], model: ReplayModel, broken: string) {
  const planned = new Map<number, number>();
  const b = {
    token_ids: [] as number[], position_ids: [] as number[], qo_indptr: [0], context_ids: [] as number[],
    samplers: [] as Record<string, unknown>[], sampler_indptr: [0],
    sampling_indices: [] as number[], sampling_indptr: [0],
    masks: [] as number[][], mask_indptr: [0], logit_masks: [] as number[][], logit_mask_indptr: [0],
    adapter_bindings: [] as { adapter_id: number; seed: number }[], spec_token_ids: [] as number[], spec_position_ids: [] as number[], spec_indptr: [0],
    image_indptr: [0], audio_indptr: [0], has_user_mask: false,
  };
  const positions: number[][] = [];
  for (const spec of specs) {
    const known = planned.get(spec.context) ?? model.length(spec.context);
    const start = spec.start === 'continue' ? known : spec.start === 'zero' ? 0 : spec.randomStart;
    const tokens = spec.tokens.slice(0, spec.count);
    if (spec.feature === 'bad_token') tokens[0] = 32000 + tokens[0]!;
    const pos = tokens.map((_, i) => start + i);
    positions.push(pos);
    planned.set(spec.context, Math.max(known, Math.min(known, start) + (start <= known ? pos.length : 0)));
    b.token_ids.push(...tokens);
    b.position_ids.push(...pos);
    b.qo_indptr.push(b.token_ids.length);
    b.context_ids.push(spec.context);
    const samplers = samplersFor(spec.sampler);
    b.samplers.push(...samplers);
    b.sampler_indptr.push(b.samplers.length);
    if (spec.feature === 'tail_index' || spec.feature === 'head_index') b.sampling_indices.push(...samplers.map(() => (spec.feature === 'tail_index' ? tokens.length - 1 : 0)));
    else b.sampling_indices.push(...samplers.map(() => tokens.length - 1));
    b.sampling_indptr.push(b.sampling_indices.length);
    if (spec.feature.endsWith('_mask') && spec.feature !== 'logit_mask') {
      b.has_user_mask = true;
      for (const p of pos) b.masks.push(spec.feature === 'causal_mask' ? [0, p + 1] : spec.feature === 'custom_mask' ? (p === 0 ? [1, 0] : [0, p, 1]) : [0, p + 3]);
    }
    b.mask_indptr.push(b.masks.length);
    if (spec.feature === 'logit_mask') b.logit_masks.push([0, 100, 31900]);
    b.logit_mask_indptr.push(b.logit_masks.length);
    b.adapter_bindings.push({ adapter_id: spec.feature === 'adapter' ? 3 : -1, seed: 0 });
    if (spec.feature === 'speculation') {
      b.spec_token_ids.push(11);
      b.spec_position_ids.push(start + tokens.length);
    }
    b.spec_indptr.push(b.spec_token_ids.length);
    b.image_indptr.push(b.image_indptr.at(-1)! + (spec.feature === 'image' ? 1 : 0));
    b.audio_indptr.push(b.audio_indptr.at(-1)! + (spec.feature === 'audio' ? 1 : 0));
  }
  if (broken === 'qo_indptr') b.qo_indptr[1] = b.qo_indptr[1]! + 100;
  if (broken === 'position_ids') b.position_ids.pop();
  if (broken === 'sampler_indptr') b.sampler_indptr.pop();
  if (broken === 'mask_indptr') b.mask_indptr.push(0);
  return { batch: b as unknown as ForwardBatch, positions };
}

describe('property: random batches through the adapter and a real runtime', function () {
  this.timeout(budget(120_000, 900_000));
  let driver: DriverHandle;
  const model = new ReplayModel();

  before(async () => {
    driver = simulatedDriver({ table: { type: 'tensorrt_llm', device: ['cuda:0', 'cuda:1'], options: { lookahead_tokens: 8 } } });
    await driver.start();
  });
  after(() => driver.dispose());

  it('never crash or restart, answer every request exactly once with a documented code, and decode greedily by the rule', async () => {
    const codes = new Set(Object.keys(REQUEST_ERROR_CODES));
    await fc.assert(
      fc.asyncProperty(fc.array(requestSpec, { minLength: 1, maxLength: 10 }), corruption, async (specs, broken) => {
        const { batch, positions } = build(specs, model, broken);
        const results: ForwardResult[] = await driver.forward(batch);
        expect(results).to.have.length(specs.length);
        specs.forEach((spec, r) => {
          const result = results[r]!;
          const start = positions[r]![0]!;
          // The model has applied every request served before this one, in order (a different
          // token truncates), so its length is what this context can replay now.
          const known = model.length(spec.context);
          const expected = broken !== 'none' ? ['INVALID_REQUEST'] : problems(spec, start, known);
          if ('error' in result) {
            expect(codes.has(result.error.code), result.error.code).to.equal(true);
            // Refused only for a reason the design names for this request: a valid request is never refused.
            expect(expected, `request ${r} (${JSON.stringify(spec)}) refused with ${result.error.code}: ${result.error.message}`).to.include(result.error.code);
            return;
          }
          expect(expected, `request ${r} was honoured although the design says ${expected.join(', ')}`).to.deep.equal([]);
          const sampled = spec.sampler !== 'none';
          expect(result.tokens).to.have.length(sampled ? 1 : 0);
          model.apply(spec.context, positions[r]!, spec.tokens.slice(0, spec.count));
          const token = result.tokens[0];
          if (spec.sampler === 'greedy') expect(token, `context ${spec.context}`).to.equal(model.greedyAfter(spec.context, positions[r]!.at(-1)!));
          if (sampled) expect(token).to.be.within(0, 31999);
        });
      }),
      { seed: 20261126, numRuns: budget(80, 1500), endOnFailure: true },
    );
    const status = (await driver.status()) as { state: string; restarts: number }[];
    expect(status.map((s) => [s.state, s.restarts])).to.deep.equal([['ready', 0], ['ready', 0]]);
  });
});
