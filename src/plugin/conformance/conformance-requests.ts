import type { ForwardBatch, Sampler } from '../../capabilities/forward-types.js';

const GREEDY: Sampler = { type: 'top_p', temperature: 0, p: 1 };

let nextContext = 900_000;

/** Two one-token requests on fresh contexts: the first carries the feature under test. */
function pair(extra: Record<string, unknown>, first: Sampler = GREEDY): ForwardBatch {
  const a = nextContext++;
  const b = nextContext++;
  return {
    token_ids: [11, 12],
    position_ids: [0, 0],
    qo_indptr: [0, 1, 2],
    context_ids: [a, b],
    samplers: [first, GREEDY],
    sampler_indptr: [0, 1, 2],
    ...extra,
  } as ForwardBatch;
}

/** The requests the conformance kit sends. */
export const conformanceRequests = {
  greedy(): ForwardBatch {
    return { token_ids: [1, 2, 3], position_ids: [0, 1, 2], qo_indptr: [0, 3], context_ids: [nextContext++], samplers: [GREEDY], sampler_indptr: [0, 1] };
  },
  rejected: {
    adapter: () => pair({ adapter_bindings: [{ adapter_id: 0, seed: 0 }, { adapter_id: -1, seed: 0 }] }),
    probe: () => pair({}, { type: 'entropy' } as Sampler),
    logit_mask: () => pair({ logit_masks: [[0, 10]], logit_mask_indptr: [0, 1, 1] }),
    attention_mask: () => pair({ masks: [[1, 0], [0, 1]], mask_indptr: [0, 1, 2], has_user_mask: true }),
    speculation: () => pair({ spec_token_ids: [5], spec_position_ids: [1], spec_indptr: [0, 1, 1] }),
    multimodal: () => pair({ image_indptr: [0, 1, 1] }),
  } as Record<string, () => ForwardBatch>,
};
