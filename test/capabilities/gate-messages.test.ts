import { expect } from 'chai';
import { combineCapabilities } from '../../src/capabilities/capability-report.js';
import { isRequestErrorCode } from '../../src/capabilities/error-codes.js';
import type { Capabilities, ForwardResult } from '../../src/capabilities/forward-types.js';
import { OperationError } from '../../src/capabilities/operation-error.js';
import { MalformedBatchError, RequestGate } from '../../src/capabilities/request-gate.js';
import { ReplayTracker } from '../../src/capabilities/replay-tracker.js';
import { shownValue } from '../../src/capabilities/shown-value.js';
import { batchOf, GREEDY } from '../helpers/driver-fixture.js';

const gate = () => new RequestGate(new ReplayTracker());
const message = (result: ForwardResult | undefined) => (result && 'error' in result ? `${result.error.code}: ${result.error.message}` : 'served');
const first = (batch: unknown) => message(gate().classify(batch).results[0]);

describe('request gate messages: each names what is wrong and where', () => {
  it('for malformed requests and samplers', () => {
    const one = (sampler: unknown) => first(batchOf([[1, [1], 0, sampler as Record<string, unknown>]]));
    expect(one(7)).to.equal('INVALID_REQUEST: a sampler must be an object, found 7');
    expect(one({ type: 3 })).to.equal('INVALID_REQUEST: a sampler needs a string `type`, found 3');
    expect(one({ type: 'beam' })).to.equal('INVALID_REQUEST: unknown sampler type "beam"; expected multinomial, top_k, top_p, min_p or top_k_top_p');
    expect(one({ type: 'top_k', temperature: 1, k: -1 })).to.equal('INVALID_REQUEST: sampler top_k needs an integer k ≥ 0, found -1');
    expect(one({ type: 'top_p', temperature: 1, p: 2 })).to.equal('INVALID_REQUEST: sampler top_p needs p in [0, 1], found 2');
    expect(one({ type: 'multinomial', temperature: 1, seed: 0.5 })).to.equal('INVALID_REQUEST: sampler multinomial needs an integer seed ≥ 0 (at most 2^53 - 1), found 0.5');
    expect(one({ type: 'min_p', temperature: 1, p: 0.3 })).to.equal("UNSUPPORTED_SAMPLER: min_p sampling is not applied by TensorRT-LLM 1.2.1's TorchSampler; use top_p or top_k, or set llm_kwargs.sampler_type = \"TRTLLMSampler\"");
    expect(one({ type: 'min_p', temperature: 1, p: 0 }), 'min_p 0 filters nothing: honoured').to.equal('served');
    expect(first({ ...batchOf([[-1, [1], 0, GREEDY]]) })).to.equal('INVALID_REQUEST: context id -1 is not a non-negative safe integer');
    expect(first(batchOf([[1, [-2], 0, GREEDY]]))).to.equal('INVALID_REQUEST: token id -2 is not a non-negative integer');
    expect(first({ ...batchOf([[1, [1], 0, GREEDY]]), position_ids: [0.5] })).to.equal('INVALID_REQUEST: position 0.5 is not a non-negative integer');
    const limited = gate();
    limited.setLimits({ maxRequests: 10, maxTokens: 10, maxModelLen: 8 });
    expect(message(limited.classify(batchOf([[1, [1], 8, GREEDY]])).results[0])).to.equal("INVALID_REQUEST: position 8 is past the model's length (max_model_len 8)");
    expect(first({ ...batchOf([[1, [1, 2], 0, GREEDY]]), sampling_indices: [1, 1], sampling_indptr: [0, 2] })).to.equal('INVALID_REQUEST: 2 sampling indices for 1 sampler');
    expect(first(batchOf([[1, [1], 0, GREEDY]], { adapter_bindings: [{ adapter_id: 'x' }] }))).to.equal('INVALID_REQUEST: adapter binding {"adapter_id": "x"} has no integer adapter_id');
    expect(first(batchOf([[1, [], 0, GREEDY]]))).to.equal('INVALID_REQUEST: a request with a sampler needs at least one token');
    expect(first(batchOf([[1, [1, 2], 0, GREEDY]], { masks: [[0, 1]], mask_indptr: [0, 1] }))).to.equal('INVALID_REQUEST: 1 mask row for 2 tokens');
    const second = gate().classify(batchOf([[1, [1], 0, GREEDY], [2, [1, 2, 3], 0, GREEDY]], { masks: [[0, 1], [0, 1]], mask_indptr: [0, 1, 2] })).results[1];
    expect(message(second), 'a request not at the start of the batch').to.equal('INVALID_REQUEST: 1 mask row for 3 tokens');
    expect(first(batchOf([[1, [1], 0, GREEDY]], { masks: [['x']], mask_indptr: [0, 1] }))).to.equal('INVALID_REQUEST: a mask row must be a list of non-negative run lengths');
  });

  it('for a batch whose structure is broken (every request alike)', () => {
    const base = batchOf([[1, [1], 0, GREEDY], [2, [2], 0, GREEDY]]) as unknown as Record<string, unknown>;
    const all = (batch: Record<string, unknown>) => gate().classify(batch).results.map(message);
    expect(all({ ...base, qo_indptr: [0, 1] })).to.deep.equal(Array(2).fill('INVALID_REQUEST: `qo_indptr` must have 3 entries (requests + 1)'));
    // One request: one entry, not "1 entries".
    expect(all({ ...base, context_ids: [1], qo_indptr: [0, 1], token_ids: [1, 2], position_ids: [0] })[0]).to.equal('INVALID_REQUEST: `position_ids` has 1 entry but `token_ids` has 2');
    expect(all({ ...base, qo_indptr: [1, 1, 2] })).to.deep.equal(Array(2).fill('INVALID_REQUEST: `qo_indptr` must start at 0'));
    expect(all({ ...base, qo_indptr: [0, 1, 3] })).to.deep.equal(Array(2).fill('INVALID_REQUEST: `qo_indptr` ends at 3 but there are 2 entries'));
    expect(all({ ...base, qo_indptr: undefined })).to.deep.equal(Array(2).fill('INVALID_REQUEST: the batch needs `qo_indptr`'));
    expect(all({ ...base, token_ids: 'x' })).to.deep.equal(Array(2).fill('INVALID_REQUEST: the batch needs `token_ids` and `position_ids`'));
    expect(all({ ...base, samplers: 5 })).to.deep.equal(Array(2).fill('INVALID_REQUEST: `samplers` must be an array'));
    expect(all({ ...base, sampler_indptr: undefined })).to.deep.equal(Array(2).fill('INVALID_REQUEST: `samplers` needs `sampler_indptr`'));
    expect(all({ ...base, adapter_bindings: [1] })).to.deep.equal(Array(2).fill('INVALID_REQUEST: `adapter_bindings` must have one entry per request'));
    expect(all({ ...base, has_user_mask: true })).to.deep.equal(Array(2).fill('INVALID_REQUEST: `has_user_mask` is set but the batch carries no `masks`'));
    expect(all({ ...base, extra: 1 })).to.deep.equal(Array(2).fill('INVALID_REQUEST: the batch has no field "extra" (Pie\'s ForwardRequest fields only)'));
    expect(() => gate().classify([])).to.throw(MalformedBatchError, '`batch` must be an object');
  });

  it('for each rejection whose wording carries numbers: the numbers, the singular and the plural', () => {
    const two = batchOf([[1, [1], 0, GREEDY], [2, [2], 0, GREEDY]]) as unknown as Record<string, unknown>;
    const all = (batch: Record<string, unknown>) => gate().classify(batch).results.map(message);
    expect(all({ ...two, qo_indptr: [0, 2, 1] })).to.deep.equal(Array(2).fill('INVALID_REQUEST: `qo_indptr` must be non-decreasing non-negative integers'));
    expect(all({ ...two, qo_indptr: [0, -1, 2] })).to.deep.equal(Array(2).fill('INVALID_REQUEST: `qo_indptr` must be non-decreasing non-negative integers'));
    // One sampler in the batch: "there is 1 entry", not "are".
    expect(first(batchOf([[1, [1], 0, GREEDY]], { sampler_indptr: [0, 2] }))).to.equal('INVALID_REQUEST: `sampler_indptr` ends at 2 but there is 1 entry');
    // A causal row at position p covers p + 1 keys: [0, 2] covers 2 at position 0.
    expect(first(batchOf([[1, [1], 0, GREEDY]], { masks: [[0, 2]], mask_indptr: [0, 1] }))).to.equal('INVALID_REQUEST: the mask row for position 0 covers 2 keys, not 1');
    expect(first(batchOf([[1, [1], 0, { type: 'top_k', temperature: -1, k: 1 }]]))).to.equal('INVALID_REQUEST: sampler top_k needs a temperature ≥ 0, found -1');
    expect(first(batchOf([[1, [1], 0, GREEDY]], { samplers: [GREEDY, GREEDY], sampler_indptr: [0, 2] })))
      .to.equal('UNSUPPORTED_SAMPLER_LAYOUT: 2 samplers on one request; this driver samples one token per request (split it into several requests)');
    expect(first(batchOf([[1, [1], 0, undefined]], { sampling_indices: [0], sampling_indptr: [0, 1] }))).to.equal('INVALID_REQUEST: 1 sampling index for 0 samplers');
    // Two tokens: the last is index 1; index 0 is refused with both named.
    expect(first(batchOf([[1, [1, 2], 0, GREEDY]], { sampling_indices: [0], sampling_indptr: [0, 1] })))
      .to.equal("UNSUPPORTED_SAMPLER_LAYOUT: sample index 0 is not the request's last token (1); TensorRT-LLM samples after the tail only");
    expect(first(batchOf([[1, [1, 2], 0, GREEDY]], { sampling_indices: [1], sampling_indptr: [0, 1] })), 'the last token: served').to.equal('served');
    // Indices count within their request: the second request (tokens 1 to 3 of the batch) ends at its index 1.
    const later = gate().classify(batchOf([[1, [1], 0, GREEDY], [2, [1, 2], 0, GREEDY]], { sampling_indices: [0, 0], sampling_indptr: [0, 1, 2] })).results.map(message);
    expect(later).to.deep.equal(['served', "UNSUPPORTED_SAMPLER_LAYOUT: sample index 0 is not the request's last token (1); TensorRT-LLM samples after the tail only"]);
  });

  it('greedy samplers at each edge are served even where the sampler would ignore a seed or min_p', () => {
    // TorchSampler (the default) ignores seeds and min_p; a greedy request reads neither.
    const one = (sampler: Record<string, unknown>) => first(batchOf([[1, [1], 0, sampler]]));
    expect(one({ type: 'multinomial', temperature: 0, seed: 5 }), 'temperature 0').to.equal('served');
    expect(one({ type: 'multinomial', temperature: 0.5, seed: 5 }), 'temperature above 0').to.match(/^UNSUPPORTED_SAMPLER: seed 5 /);
    expect(one({ type: 'min_p', temperature: 0, p: 0.5 }), 'min_p at temperature 0').to.equal('served');
    expect(one({ type: 'min_p', temperature: 1, p: 0 }), 'min_p 0 filters nothing').to.equal('served');
    expect(one({ type: 'min_p', temperature: 1, p: 1e-9 }), 'just above 0').to.match(/^UNSUPPORTED_SAMPLER: min_p /);
  });

  it('errors carry their class names and the codes are recognised exactly', () => {
    expect(new MalformedBatchError('x').name).to.equal('MalformedBatchError');
    expect(new OperationError('INVALID_REQUEST', 'x').name).to.equal('OperationError');
    expect(isRequestErrorCode('UNSUPPORTED_SAMPLER')).to.equal(true);
    expect(isRequestErrorCode('NOT_A_CODE')).to.equal(false);
    expect(isRequestErrorCode(7)).to.equal(false);
  });

  it('reports a sampler feature only when every replica has it', () => {
    const caps = (seeded: boolean) => ({ supports_seeded_sampling: seeded, supports_min_p: seeded, vocab_size: 1 }) as unknown as Capabilities;
    expect(combineCapabilities([{ device: 'a', capabilities: caps(true) }, { device: 'b', capabilities: caps(true) }])).to.include({ supports_seeded_sampling: true, supports_min_p: true });
    expect(combineCapabilities([{ device: 'a', capabilities: caps(true) }, { device: 'b', capabilities: caps(false) }])).to.include({ supports_seeded_sampling: false, supports_min_p: false });
    expect(() => combineCapabilities([])).to.throw('no replica reported capabilities');
    // Limits: the smallest across replicas, so a batch that fits one fits any.
    const limits = (n: number) => ({ max_forward_tokens: n, max_forward_requests: n, total_pages: n, max_page_refs: n, max_logit_rows: n, max_prob_rows: n, vocab_size: 1 }) as unknown as Capabilities;
    expect(combineCapabilities([{ device: 'a', capabilities: limits(100) }, { device: 'b', capabilities: limits(50) }])).to.include({ max_forward_tokens: 50, max_forward_requests: 50, total_pages: 50, max_page_refs: 50, max_logit_rows: 50, max_prob_rows: 50 });
  });
});

describe('shownValue: a client value in a message, bounded', () => {
  it('shows scalars, strings, arrays and objects, cutting length and depth', () => {
    expect(shownValue(null)).to.equal('null');
    expect(shownValue(undefined)).to.equal('undefined');
    expect(shownValue(7)).to.equal('7');
    expect(shownValue(10n)).to.equal('10n');
    expect(shownValue('a"b')).to.equal('"a\\"b"');
    expect(shownValue('x'.repeat(100))).to.equal(`"${'x'.repeat(56)}...`);
    expect(shownValue('x'.repeat(58)), 'exactly 60 characters quoted: shown whole').to.equal(`"${'x'.repeat(58)}"`);
    expect(shownValue('x'.repeat(59)), '61: cut').to.equal(`"${'x'.repeat(56)}...`);
    expect(shownValue([1, 2])).to.equal('[1, 2]');
    expect(shownValue([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).to.equal('[1, 2, 3, 4, 5, 6, 7, 8, ... (10 items)]');
    expect(shownValue([1, 2, 3, 4, 5, 6, 7, 8]), 'exactly eight: all shown').to.equal('[1, 2, 3, 4, 5, 6, 7, 8]');
    expect(shownValue(Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, i]))), 'exactly eight keys').to.equal('{"k0": 0, "k1": 1, "k2": 2, "k3": 3, "k4": 4, "k5": 5, "k6": 6, "k7": 7}');
    expect(shownValue({ ['z'.repeat(40)]: 1 }), 'a 40-character key in full').to.equal(`{"${'z'.repeat(40)}": 1}`);
    expect(shownValue({ a: 1, b: [2] })).to.equal('{"a": 1, "b": [2]}');
    expect(shownValue(Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, i])))).to.equal('{"k0": 0, "k1": 1, "k2": 2, "k3": 3, "k4": 4, "k5": 5, "k6": 6, "k7": 7, ...}');
    expect(shownValue({ ['y'.repeat(50)]: 1 })).to.equal(`{"${'y'.repeat(37)}...": 1}`);
    expect(shownValue([[[[1]]]])).to.equal('[[[[...]]]]');
    expect(shownValue({ a: { b: { c: { d: 1 } } } })).to.equal('{"a": {"b": {"c": {...}}}}');
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(shownValue(deep)).to.equal('[[[[...]]]]');
  });
});

describe('ReplayTracker', () => {
  it('keeps the longest replayable length of each context, and forgets a context entirely', () => {
    const tracker = new ReplayTracker();
    tracker.extend(1, 5);
    tracker.extend(1, 3);
    tracker.extend(2, 4);
    expect([tracker.length(1), tracker.length(2), tracker.length(3), tracker.size]).to.deep.equal([5, 4, 0, 2]);
    tracker.forget(1);
    tracker.forget(99);
    expect([tracker.length(1), tracker.size]).to.deep.equal([0, 1]);
    tracker.extend(1, 2);
    expect(tracker.length(1), 'a forgotten context starts again from what is written next').to.equal(2);
  });
});
