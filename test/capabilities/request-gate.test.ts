import { expect } from 'chai';
import { MalformedBatchError, RequestGate } from '../../src/capabilities/request-gate.js';
import { ReplayTracker } from '../../src/capabilities/replay-tracker.js';
import type { ForwardResult } from '../../src/capabilities/forward-types.js';
import { batchOf, GREEDY } from '../helpers/driver-fixture.js';

function codes(results: (ForwardResult | undefined)[]): string[] {
  return results.map((r) => (r === undefined ? 'OK' : 'error' in r ? r.error.code : 'TOKENS'));
}

function gate(): RequestGate {
  return new RequestGate(new ReplayTracker());
}

const two = (extra: Record<string, unknown> = {}) => batchOf([[1, [1, 2], 0, GREEDY], [2, [3, 4], 0, GREEDY]], extra);

describe('RequestGate', () => {
  it('refuses a batch over the reported limits whole, and positions past the model per request', () => {
    const limited = gate();
    limited.setLimits({ maxRequests: 2, maxTokens: 4, maxModelLen: 100 });
    expect(() => limited.classify(batchOf([[1, [1], 0, GREEDY], [2, [1], 0, GREEDY], [3, [1], 0, GREEDY]]))).to.throw(MalformedBatchError, /3 requests, above max_forward_requests \(2\)/);
    expect(() => limited.classify(batchOf([[1, [1, 2, 3, 4, 5], 0, GREEDY]]))).to.throw(MalformedBatchError, /5 tokens, above max_forward_tokens \(4\)/);
    expect(codes(limited.classify(batchOf([[1, [1], 99, GREEDY], [2, [1], 100, GREEDY]])).results)).to.deep.equal(['MISSING_REPLAY_PREFIX', 'INVALID_REQUEST']);
    // Before the model is known, positions still fit the wire's 32 bits.
    expect(codes(gate().classify(batchOf([[1, [1], 2 ** 32, GREEDY]])).results)).to.deep.equal(['INVALID_REQUEST']);
  });

  it('refuses unknown batch fields for every request, and unknown or deep sampler fields for that request alone', () => {
    expect(codes(gate().classify(two({ priority: 1 })).results)).to.deep.equal(['INVALID_REQUEST', 'INVALID_REQUEST']);
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const outcome = gate().classify(batchOf([[1, [1], 0, { type: 'top_p', temperature: 0, p: 1, extra: deep } as Record<string, unknown>], [2, [1], 0, { type: 'top_p', temperature: 0, p: 1, k: [1] } as Record<string, unknown>], [3, [1], 0, GREEDY]]));
    expect(codes(outcome.results)).to.deep.equal(['INVALID_REQUEST', 'INVALID_REQUEST', 'OK']);
    expect((outcome.results[0] as { error: { message: string } }).error.message).to.match(/has no field "extra"; it takes type, temperature, p/);
    expect(codes(gate().classify(batchOf([[1, [1], 0, { type: 'top_k', temperature: 1, k: 2 ** 60 }]])).results)).to.deep.equal(['INVALID_REQUEST']);
  });
  it('refuses a seed or min_p the configured sampler ignores, with UNSUPPORTED_SAMPLER, and nothing greedy', () => {
    const seeded = { type: 'multinomial', temperature: 0.8, seed: 7 };
    const unseeded = { type: 'multinomial', temperature: 0.8, seed: 0 };
    const minP = { type: 'min_p', temperature: 0.8, p: 0.2 };
    const greedySeeded = { type: 'multinomial', temperature: 0, seed: 7 };
    const greedyTopP = { type: 'top_p', temperature: 0.8, p: 0 };
    const batch = batchOf([[1, [1], 0, seeded], [2, [1], 0, unseeded], [3, [1], 0, minP], [4, [1], 0, greedySeeded], [5, [1], 0, greedyTopP]]);
    const byDefault = gate().classify(batch).results;
    expect(codes(byDefault)).to.deep.equal(['UNSUPPORTED_SAMPLER', 'OK', 'UNSUPPORTED_SAMPLER', 'OK', 'OK']);
    expect((byDefault[0] as { error: { message: string } }).error.message).to.contain('sampler_type = "TRTLLMSampler"');
    const trtllm = gate();
    trtllm.setSamplerSupport({ samplerType: 'TRTLLMSampler', seeded: true, minP: true });
    expect(codes(trtllm.classify(batch).results)).to.deep.equal(['OK', 'OK', 'OK', 'OK', 'OK']);
  });

  it('accepts plain requests and remembers what each context can replay', () => {
    const tracker = new ReplayTracker();
    const outcome = new RequestGate(tracker).classify(two());
    expect(outcome.accepted).to.deep.equal([0, 1]);
    expect(tracker.length(1)).to.equal(2);
  });

  it('lets exactly causal masks through and rejects any other mask', () => {
    const causal = two({ masks: [[0, 1], [0, 2], [0, 1], [0, 2]], mask_indptr: [0, 2, 4], has_user_mask: true });
    expect(codes(gate().classify(causal).results)).to.deep.equal(['OK', 'OK']);
    const custom = two({ masks: [[0, 1], [1, 1], [0, 1], [0, 2]], mask_indptr: [0, 2, 4], has_user_mask: true });
    expect(codes(gate().classify(custom).results)).to.deep.equal(['UNSUPPORTED_ATTENTION_MASK', 'OK']);
    const wrongSum = two({ masks: [[0, 1], [0, 1], [0, 1], [0, 2]], mask_indptr: [0, 2, 4] });
    expect(codes(gate().classify(wrongSum).results)).to.deep.equal(['INVALID_REQUEST', 'OK']);
  });

  it('answers every unsupported feature with its own code, next to a good request', () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{ logit_masks: [[0, 3]], logit_mask_indptr: [0, 0, 1] }, ['OK', 'UNSUPPORTED_LOGIT_MASK']],
      [{ adapter_bindings: [{ adapter_id: 2, seed: 0 }, { adapter_id: -1, seed: -1 }] }, ['UNSUPPORTED_ADAPTER', 'OK']],
      [{ spec_token_ids: [9], spec_position_ids: [2], spec_indptr: [0, 1, 1] }, ['UNSUPPORTED_SPECULATION', 'OK']],
      [{ image_indptr: [0, 0, 1] }, ['OK', 'UNSUPPORTED_MULTIMODAL']],
      [{ audio_indptr: [0, 1, 1] }, ['UNSUPPORTED_MULTIMODAL', 'OK']],
      [{ sampling_indices: [0, 1], sampling_indptr: [0, 1, 2] }, ['UNSUPPORTED_SAMPLER_LAYOUT', 'OK']],
      [{ samplers: [GREEDY, GREEDY, GREEDY], sampler_indptr: [0, 2, 3] }, ['UNSUPPORTED_SAMPLER_LAYOUT', 'OK']],
    ];
    for (const [extra, expected] of cases) expect(codes(gate().classify(two(extra)).results), JSON.stringify(extra)).to.deep.equal(expected);
    for (const type of ['dist', 'raw_logits', 'logprob', 'logprobs', 'entropy', 'embedding']) {
      const batch = batchOf([[1, [1], 0, { type }], [2, [1], 0, GREEDY]]);
      expect(codes(gate().classify(batch).results), type).to.deep.equal(['UNSUPPORTED_PROBE', 'OK']);
    }
  });

  it('says what to do instead in each rejection', () => {
    const outcome = gate().classify(two({ adapter_bindings: [{ adapter_id: 2, seed: 0 }, { adapter_id: -1, seed: 0 }] }));
    const result = outcome.results[0] as { error: { message: string } };
    expect(result.error.message).to.match(/adapter 2 is bound.*unbind it/);
  });

  it('refuses a request that starts past what its context can replay (a fork without prefix)', () => {
    const g = gate();
    expect(codes(g.classify(batchOf([[5, [1, 2, 3], 0, GREEDY]])).results)).to.deep.equal(['OK']);
    expect(codes(g.classify(batchOf([[5, [7], 3, GREEDY]])).results)).to.deep.equal(['OK']);
    expect(codes(g.classify(batchOf([[6, [7], 3, GREEDY]])).results)).to.deep.equal(['MISSING_REPLAY_PREFIX']);
    expect(codes(g.classify(batchOf([[5, [7], 9, GREEDY]])).results)).to.deep.equal(['MISSING_REPLAY_PREFIX']);
  });

  it('fails every request alike when the batch structure is inconsistent, and names why', () => {
    for (const broken of [{ qo_indptr: [0, 1, 3] }, { qo_indptr: [0, 3, 2] }, { position_ids: [0] }, { sampler_indptr: [0, 1] }, { has_user_mask: true }, { adapter_bindings: [{ adapter_id: -1 }] }]) {
      const outcome = gate().classify(two(broken));
      expect(codes(outcome.results), JSON.stringify(broken)).to.deep.equal(['INVALID_REQUEST', 'INVALID_REQUEST']);
      expect(outcome.accepted).to.deep.equal([]);
    }
  });

  it('rejects malformed single requests alone', () => {
    const negative = two();
    negative.position_ids[0] = -1;
    expect(codes(gate().classify(negative).results)).to.deep.equal(['INVALID_REQUEST', 'OK']);
    const badSampler = batchOf([[1, [1], 0, { type: 'top_p', temperature: -1, p: 1 }], [2, [1], 0, GREEDY]]);
    expect(codes(gate().classify(badSampler).results)).to.deep.equal(['INVALID_REQUEST', 'OK']);
  });

  it('refuses token ids outside the vocabulary once it is known', () => {
    const g = gate();
    g.setVocabulary(100);
    expect(codes(g.classify(batchOf([[1, [99], 0, GREEDY], [2, [100], 0, GREEDY]])).results)).to.deep.equal(['OK', 'INVALID_REQUEST']);
  });

  it('throws MalformedBatchError when no request count can be read', () => {
    expect(() => gate().classify(null)).to.throw(MalformedBatchError);
    expect(() => gate().classify({ token_ids: [] })).to.throw(MalformedBatchError, /context_ids/);
  });
});
