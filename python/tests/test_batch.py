import pytest
from helpers import GREEDY, batch, engine

from pie_trtllm_runtime import codes
from pie_trtllm_runtime.batch import BatchError, Request, parse_batch
from pie_trtllm_runtime.codes import RequestError


def codes_of(b):
    return [r.code if isinstance(r, RequestError) else "OK" for r in parse_batch(b)]


def two(**extra):
    return batch([(1, [1, 2], 0, GREEDY), (2, [3, 4], 0, GREEDY)], **extra)


def test_good_batch_parses():
    requests = parse_batch(two())
    assert all(isinstance(r, Request) for r in requests)
    assert requests[1].tokens == [3, 4] and requests[1].positions == [0, 1] and requests[1].sampler.greedy


def test_causal_masks_pass_and_others_are_rejected():
    causal = [[0, 1], [0, 2], [0, 1], [0, 2]]
    assert codes_of(two(masks=causal, mask_indptr=[0, 2, 4], has_user_mask=True)) == ["OK", "OK"]
    custom = [[0, 1], [1, 1], [0, 1], [0, 2]]
    assert codes_of(two(masks=custom, mask_indptr=[0, 2, 4], has_user_mask=True)) == [codes.UNSUPPORTED_ATTENTION_MASK, "OK"]
    short = [[0, 1], [0, 1], [0, 1], [0, 2]]
    assert codes_of(two(masks=short, mask_indptr=[0, 2, 4])) == [codes.INVALID_REQUEST, "OK"]


def test_each_unsupported_feature_has_its_code():
    assert codes_of(two(logit_masks=[[0, 5]], logit_mask_indptr=[0, 0, 1])) == ["OK", codes.UNSUPPORTED_LOGIT_MASK]
    assert codes_of(two(adapter_bindings=[{"adapter_id": 3, "seed": 0}, {"adapter_id": -1, "seed": -1}])) == [codes.UNSUPPORTED_ADAPTER, "OK"]
    assert codes_of(two(spec_token_ids=[5], spec_position_ids=[2], spec_indptr=[0, 1, 1])) == [codes.UNSUPPORTED_SPECULATION, "OK"]
    assert codes_of(two(image_indptr=[0, 0, 1])) == ["OK", codes.UNSUPPORTED_MULTIMODAL]
    assert codes_of(two(audio_indptr=[0, 1, 1])) == [codes.UNSUPPORTED_MULTIMODAL, "OK"]
    for probe in ("dist", "raw_logits", "logprob", "logprobs", "entropy", "embedding"):
        b = batch([(1, [1], 0, {"type": probe}), (2, [1], 0, GREEDY)])
        assert codes_of(b) == [codes.UNSUPPORTED_PROBE, "OK"], probe
    many = batch([(1, [1], 0, GREEDY), (2, [1], 0, GREEDY)])
    many["samplers"] = [GREEDY, GREEDY, GREEDY]
    many["sampler_indptr"] = [0, 2, 3]
    assert codes_of(many) == [codes.UNSUPPORTED_SAMPLER_LAYOUT, "OK"]
    assert codes_of(two(sampling_indices=[0, 1], sampling_indptr=[0, 1, 2])) == [codes.UNSUPPORTED_SAMPLER_LAYOUT, "OK"]


def test_malformed_requests_are_invalid_alone():
    b = batch([(1, [1], 0, GREEDY), (2, [1], 0, GREEDY)])
    b["position_ids"][0] = -1
    assert codes_of(b) == [codes.INVALID_REQUEST, "OK"]
    b = batch([(1, [1], 0, {"type": "top_p", "temperature": -1, "p": 1}), (2, [1], 0, GREEDY)])
    assert codes_of(b) == [codes.INVALID_REQUEST, "OK"]
    b = batch([(1, [1], 0, {"type": "beam"}), (2, [1], 0, GREEDY)])
    assert codes_of(b) == [codes.INVALID_REQUEST, "OK"]


@pytest.mark.parametrize("mutate", [
    lambda b: b.update(qo_indptr=[0, 1]),
    lambda b: b.update(qo_indptr=[0, 3, 2]),
    lambda b: b.update(position_ids=[0]),
    lambda b: b.update(sampler_indptr=[0, 1]),
    lambda b: b.update(has_user_mask=True),
])
def test_inconsistent_batches_fail_every_request_with_invalid_request(mutate):
    b = two()
    mutate(b)
    with pytest.raises(BatchError) as error:
        parse_batch(b)
    assert error.value.size == 2


def test_runtime_answers_a_mixed_batch_with_one_result_each():
    e = engine()
    b = two(adapter_bindings=[{"adapter_id": 0, "seed": 0}, {"adapter_id": -1, "seed": 0}])
    out = e.forward(parse_batch(b))
    assert out[0].code == codes.UNSUPPORTED_ADAPTER and isinstance(out[1], list) and len(out[1]) == 1


def _pack(code, values):
    import base64
    from array import array
    return base64.b64encode(array(code, values).tobytes()).decode()


def test_packed_arrays_and_sampler_table_mean_the_same_as_pie_layout():
    packed = {
        "packed": {"token_ids": _pack("I", [1, 2, 3, 4]), "position_ids": _pack("I", [0, 1, 0, 1]), "qo_indptr": _pack("I", [0, 2, 4]),
                   "context_ids": _pack("Q", [2 ** 40, 7]), "sampler_index": _pack("i", [0, -1])},
        "sampler_table": [GREEDY],
    }
    requests = parse_batch(packed)
    assert [r.context_id for r in requests] == [2 ** 40, 7]
    assert requests[0].tokens == [1, 2] and requests[1].positions == [0, 1]
    assert requests[0].sampler.greedy and requests[1].sampler is None


def test_broken_packing_fails_the_batch_with_invalid_request():
    with pytest.raises(BatchError):
        parse_batch({"packed": {"token_ids": "***"}, "sampler_table": []})
    with pytest.raises(BatchError):
        parse_batch({"packed": {"weights": _pack("I", [1])}})
    bad_index = batch([(1, [1], 0, None)])
    del bad_index["samplers"], bad_index["sampler_indptr"]
    bad_index.update(sampler_table=[GREEDY], sampler_index=[3])
    with pytest.raises(BatchError):
        parse_batch(bad_index)


def test_a_probe_in_the_sampler_table_fails_only_its_requests():
    b = batch([(1, [1], 0, None), (2, [1], 0, None)])
    del b["samplers"], b["sampler_indptr"]
    b.update(sampler_table=[{"type": "entropy"}, GREEDY], sampler_index=[0, 1])
    assert codes_of(b) == [codes.UNSUPPORTED_PROBE, "OK"]


def test_a_packed_decode_step_may_leave_out_what_it_implies():
    step = {"packed": {"token_ids": _pack("I", [7, 8]), "position_ids": _pack("I", [3, 5]), "context_ids": _pack("Q", [1, 2])}, "sampler_table": [GREEDY]}
    requests = parse_batch(step)
    assert [(r.context_id, r.tokens, r.positions, r.sampler.greedy) for r in requests] == [(1, [7], [3], True), (2, [8], [5], True)]
    with pytest.raises(BatchError):  # several tokens per request need their offsets
        parse_batch({"packed": {"token_ids": _pack("I", [7, 8, 9]), "position_ids": _pack("I", [3, 4, 5]), "context_ids": _pack("Q", [1, 2])}, "sampler_table": [GREEDY]})
