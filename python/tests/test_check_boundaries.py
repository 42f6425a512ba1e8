"""Each check of the runtime at its boundary, one before and one past it. Expected values come
from the design (DESIGN §3.5, the wire contract) or TensorRT-LLM 1.2.1's source, not from the code
under test. Found by scripts/python-mutation.py: each test here kills mutants that survived it."""

import pytest

from pie_trtllm_runtime import codes
from pie_trtllm_runtime.batch import decode_columns, parse_batch
from pie_trtllm_runtime.batch_error import BatchError
from pie_trtllm_runtime.history import Context
from pie_trtllm_runtime.sampling import parse_sampler

GREEDY = {"type": "top_p", "temperature": 0, "p": 1}


def refusal(function, *args):
    with pytest.raises(codes.RequestError) as raised:
        function(*args)
    return raised.value.code, raised.value.message


# --- sampler parameters: top_p and min_p's p lies in [0, 1], temperature in [0, inf), k >= 0 ---

@pytest.mark.parametrize("p, accepted", [(-1e-9, False), (0, True), (1e-9, True), (1, True), (1 + 1e-9, False)])
def test_p_is_taken_from_0_to_1_inclusive(p, accepted):
    sampler = {"type": "top_p", "temperature": 0.5, "p": p}
    if accepted:
        assert parse_sampler(sampler).top_p == p
    else:
        assert refusal(parse_sampler, sampler) == (codes.INVALID_REQUEST, "sampler top_p: p = %r is outside [0, 1]" % p)


def test_temperature_has_no_upper_bound_and_says_so():
    assert parse_sampler({"type": "multinomial", "temperature": 1e6, "seed": 0}).temperature == 1e6
    assert refusal(parse_sampler, {"type": "multinomial", "temperature": -1, "seed": 0}) == (
        codes.INVALID_REQUEST, "sampler multinomial: temperature = -1 is outside [0, inf]")


@pytest.mark.parametrize("k, accepted", [(-1, False), (0, True), (1, True)])
def test_k_is_a_non_negative_integer(k, accepted):
    sampler = {"type": "top_k", "temperature": 0.5, "k": k}
    if accepted:
        assert parse_sampler(sampler).top_k == k
    else:
        assert refusal(parse_sampler, sampler) == (codes.INVALID_REQUEST, "sampler top_k needs an integer 'k' from 0 to 2^53 - 1, found -1")


def test_a_sampler_passes_to_tensorrt_llm_only_the_fields_it_has():
    # SamplingParams gets top_k only from samplers with a k, top_p only from those with a p.
    assert parse_sampler({"type": "top_k", "temperature": 0.5, "k": 3}).sampling_kwargs() == {"temperature": 0.5, "top_k": 3}
    assert parse_sampler({"type": "top_p", "temperature": 0.5, "p": 0.9}).sampling_kwargs() == {"temperature": 0.5, "top_p": 0.9}
    assert parse_sampler({"type": "top_k_top_p", "temperature": 0.5, "k": 3, "p": 0.9}).sampling_kwargs() == {"temperature": 0.5, "top_k": 3, "top_p": 0.9}


# --- max_history_tokens: a history of exactly the bound is kept whole; one more drops the oldest ---

@pytest.mark.parametrize("length, dropped", [(4, 0), (5, 0), (6, 1)])
def test_a_history_is_trimmed_only_past_max_history_tokens(length, dropped):
    context = Context(1, list(range(length)))
    context.trim(5)
    assert context.offset == dropped
    assert context.tokens == list(range(length))[dropped:]


def test_a_trimmed_history_takes_a_replay_from_0_and_refuses_one_from_inside_the_trimmed_part():
    context = Context(1, [10, 11, 12, 13, 14, 15])
    context.trim(4)  # positions 0 and 1 dropped: offset 2
    assert refusal(context.merge, [1, 2], [11, 12])[0] == codes.MISSING_REPLAY_PREFIX
    context.merge([0, 1, 2], [20, 21, 22])  # a replay from position 0 rebuilds the history
    assert (context.offset, context.tokens, context.confirmed) == (0, [20, 21, 22], 3)


# --- the decode fast path takes only plain greedy decode steps in the driver's layout ---

def _plain(size=2):
    return {"context_ids": list(range(1, size + 1)), "token_ids": [5] * size, "position_ids": [3] * size,
            "qo_indptr": list(range(size + 1)), "sampler_table": [GREEDY], "sampler_index": [0] * size}


@pytest.mark.parametrize("change", [
    {"token_ids": [5]},                       # fewer tokens than requests
    {"position_ids": [3, 3, 3]},              # more positions than requests
    {"sampler_index": [0]},                   # an index short
    {"sampler_table": [GREEDY, GREEDY]},      # two samplers
    {"qo_indptr": [0, 1, 1]},                 # not one token per request
    {"sampler_index": [1, 0]},                # an index past the one sampler
    {"sampler_index": [0, 1]},
    {"context_ids": [1, 1]},                  # one context twice: in order, on the general path
    {"context_ids": [-1, 2]},                 # not a count
    {"token_ids": [5, -5]},
    {"position_ids": [3, 2.5]},
    {"context_ids": "ab"},                    # not a list
    {"extra": 1},                             # a field the fast path does not know
])
def test_the_decode_fast_path_declines_every_other_shape(change):
    assert decode_columns(_plain()) is not None
    assert decode_columns(dict(_plain(), **change)) is None
    # Empty: no request at all.
    assert decode_columns(dict(_plain(), context_ids=[], token_ids=[], position_ids=[], qo_indptr=[0], sampler_index=[])) is None


# --- where a model's config comes from (huggingface_hub's cache layout) and its fallbacks ---

def _snapshot(root, repo, config):
    import json
    import os

    folder = os.path.join(root, "models--" + repo.replace("/", "--"), "snapshots", "abc123")
    os.makedirs(folder)
    with open(os.path.join(folder, "config.json"), "w") as handle:
        json.dump(config, handle)
    return folder


def test_a_hub_id_is_found_under_hf_home_and_only_an_owner_name_id_is_looked_up(tmp_path, monkeypatch):
    from pie_trtllm_runtime.model_info import resolve_snapshot

    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    folder = _snapshot(str(tmp_path / "hub"), "org/model", {"vocab_size": 10})
    assert resolve_snapshot("org/model") == folder
    _snapshot(str(tmp_path / "hub"), "a/b/c", {"vocab_size": 10})  # two slashes: not a hub id
    with pytest.raises(codes.StartupError) as raised:
        resolve_snapshot("a/b/c")
    assert raised.value.code == codes.MODEL_NOT_FOUND and str(tmp_path / "hub") in raised.value.message


def test_the_end_id_falls_back_to_generation_config_and_the_architecture_to_model_type(tmp_path):
    import json

    from pie_trtllm_runtime.model_info import read_model_info

    (tmp_path / "config.json").write_text(json.dumps({"model_type": "mistral", "vocab_size": 10}))
    (tmp_path / "generation_config.json").write_text(json.dumps({"eos_token_id": [7, 8]}))
    model = read_model_info(str(tmp_path))
    assert (model.arch_name, model.end_id, model.pad_id) == ("mistral", 7, 7)
    # An end id in config.json wins over generation_config.json; a boolean is not an id.
    (tmp_path / "config.json").write_text(json.dumps({"architectures": ["MistralForCausalLM"], "vocab_size": 10, "eos_token_id": 3, "pad_token_id": True}))
    model = read_model_info(str(tmp_path))
    assert (model.arch_name, model.end_id, model.pad_id) == ("MistralForCausalLM", 3, 3)


# --- the batch's own structure, and what each request's error says (the wire contract) ---

def _batch(**change):
    base = {"context_ids": [1], "token_ids": [4, 5], "position_ids": [0, 1], "qo_indptr": [0, 2], "sampler_table": [GREEDY], "sampler_index": [0]}
    return dict(base, **change)


@pytest.mark.parametrize("index, accepted", [([-2], False), ([-1], True), ([0], True), ([1], False)])
def test_a_sampler_index_is_minus_one_or_inside_the_table_and_not_at_its_length(index, accepted):
    from pie_trtllm_runtime.batch import parse_batch
    from pie_trtllm_runtime.batch_error import BatchError

    if accepted:
        (request,) = parse_batch(_batch(sampler_index=index))
        assert not isinstance(request, codes.RequestError)
    else:
        with pytest.raises(BatchError) as raised:
            parse_batch(_batch(sampler_index=index))
        assert str(raised.value) == "'sampler_index' entries must be -1 or an index into 'sampler_table'"


def test_structure_and_request_errors_name_the_numbers_the_contract_gives():
    from pie_trtllm_runtime.batch import parse_batch
    from pie_trtllm_runtime.batch_error import BatchError

    with pytest.raises(BatchError) as raised:
        parse_batch(_batch(qo_indptr=[0, 1, 2]))
    assert str(raised.value) == "'qo_indptr' must have 2 entries (requests + 1)"
    (mask,) = parse_batch(_batch(masks=[[0, 1], [0, 1]], mask_indptr=[0, 2]))
    assert (mask.code, mask.message) == (codes.INVALID_REQUEST, "the mask row for position 1 covers 1 keys, not 2")
    plain = {k: v for k, v in _batch().items() if k not in ("sampler_table", "sampler_index")}
    (late,) = parse_batch(dict(plain, samplers=[GREEDY], sampler_indptr=[0, 1], sampling_indices=[0], sampling_indptr=[0, 1]))
    assert late.code == codes.UNSUPPORTED_SAMPLER_LAYOUT
    assert late.message.startswith("sample index 0 is not the request's last token (1);")


def test_context_id_zero_and_position_zero_are_counts_on_the_decode_fast_path():
    assert decode_columns(dict(_plain(), context_ids=[0, 1], position_ids=[0, 0])) is not None


@pytest.mark.parametrize("value", [True, "0.5", float("nan"), float("inf"), None])
def test_a_sampler_number_is_a_finite_number_not_a_boolean(value):
    code, message = refusal(parse_sampler, {"type": "top_p", "temperature": value, "p": 1})
    assert code == codes.INVALID_REQUEST and message.startswith("sampler top_p needs a numeric 'temperature', found ")


# --- hostile shapes sent straight to the runtime (the host's gate refuses them first) ---

def _two(**change):
    base = {"context_ids": [1, 2], "token_ids": [4, 5], "position_ids": [0, 0], "qo_indptr": [0, 1, 2], "sampler_table": [GREEDY], "sampler_index": [0, 0]}
    return dict(base, **change)


def _structure_error(batch):
    from pie_trtllm_runtime.batch import parse_batch
    from pie_trtllm_runtime.batch_error import BatchError

    with pytest.raises(BatchError) as raised:
        parse_batch(batch)
    return str(raised.value)


def test_an_indptr_of_sorted_non_integers_is_refused():
    assert _structure_error(_two(qo_indptr=[0, 1.5, 2])) == "'qo_indptr' must be non-decreasing non-negative integers"


def test_the_sampler_layout_needs_both_arrays_as_lists():
    message = "'sampler_table' must be an array and 'sampler_index' have one entry per request"
    assert _structure_error(_two(sampler_table="x")) == message
    assert _structure_error(_two(sampler_index="ab")) == message
    assert _structure_error({k: v for k, v in _two().items() if k != "sampler_table"}) == message


def test_adapter_bindings_must_be_a_list_of_one_per_request():
    assert _structure_error(_two(adapter_bindings="ab")) == "'adapter_bindings' must have one entry per request"


@pytest.mark.parametrize("row", [7, [True], [0, -1]])
def test_a_mask_row_that_is_not_a_list_of_run_lengths_fails_its_request(row):
    from pie_trtllm_runtime.batch import parse_batch

    first, _ = parse_batch(_two(masks=[row, [0, 1]], mask_indptr=[0, 1, 2]))
    assert (first.code, first.message) == (codes.INVALID_REQUEST, "a mask row must be a list of non-negative run lengths")


def test_a_boolean_adapter_id_is_not_an_id():
    from pie_trtllm_runtime.batch import parse_batch

    first, second = parse_batch(_two(adapter_bindings=[{"adapter_id": True}, {"adapter_id": -1}]))
    assert first.code == codes.INVALID_REQUEST and first.message.startswith("adapter binding ")
    assert not isinstance(second, codes.RequestError)


def test_a_sampler_in_the_table_that_is_not_an_object_fails_its_requests():
    from pie_trtllm_runtime.batch import parse_batch

    first, second = parse_batch(_two(sampler_table=[5]))
    assert (first.code, first.message) == (codes.INVALID_REQUEST, "a sampler must be an object, found 5")
    assert second.code == codes.INVALID_REQUEST


@pytest.mark.parametrize("key, code", [("spec_indptr", codes.UNSUPPORTED_SPECULATION), ("image_indptr", codes.UNSUPPORTED_MULTIMODAL),
                                       ("audio_indptr", codes.UNSUPPORTED_MULTIMODAL)])
def test_drafts_images_or_audio_on_the_second_request_fail_that_request_alone(key, code):
    from pie_trtllm_runtime.batch import parse_batch

    extra = {"spec_token_ids": [9], "spec_position_ids": [1]} if key == "spec_indptr" else {}
    first, second = parse_batch(_two(**{key: [0, 0, 1]}, **extra))
    assert not isinstance(first, codes.RequestError)
    assert second.code == code


def _packed(token_ids, position_ids, context_ids, qo_indptr=None):
    import array
    import base64

    def encode(code, values):
        return base64.b64encode(array.array(code, values).tobytes()).decode("ascii")

    packed = {"token_ids": encode("I", token_ids), "position_ids": encode("I", position_ids), "context_ids": encode("Q", context_ids)}
    if qo_indptr is not None:
        packed["qo_indptr"] = encode("I", qo_indptr)
    return {"packed": packed, "sampler_table": [{"type": "top_p", "temperature": 0, "p": 1}]}


def test_a_packed_batch_implies_qo_indptr_only_for_one_token_per_request():
    # A packed decode step may leave qo_indptr out only when every request has one token: with
    # 3 tokens for 2 requests the split is unknown, and the batch is refused as a whole.
    with pytest.raises(BatchError, match="the batch needs 'qo_indptr'"):
        parse_batch(_packed([1, 2, 3], [0, 1, 0], [1, 2]))
    # One token per request: implied, one each.
    requests = parse_batch(_packed([1, 2], [0, 0], [1, 2]))
    assert [r.tokens for r in requests] == [[1], [2]]


def test_a_given_qo_indptr_is_kept_even_when_tokens_match_requests():
    # 2 tokens for 2 requests, but qo_indptr gives both to the second: the first has none and a
    # sampler, so it alone is refused (DESIGN: a request with a sampler needs a token).
    first, second = parse_batch(_packed([1, 2], [0, 1], [1, 2], qo_indptr=[0, 0, 2]))
    assert isinstance(first, codes.RequestError) and "needs at least one token" in first.message
    assert second.tokens == [1, 2]


@pytest.mark.parametrize("key,sampler", [("k", {"type": "top_k", "temperature": 0.7}), ("seed", {"type": "multinomial", "temperature": 0.7})])
def test_sampler_integers_end_where_a_javascript_host_can_carry_them(key, sampler):
    # 2^53 - 1 is the largest integer a JSON peer in JavaScript holds exactly; the host refuses
    # 2^53, and the runtime agrees (test/fixtures/shared-limits.json).
    assert getattr(parse_sampler(dict(sampler, **{key: 2 ** 53 - 1})), "top_k" if key == "k" else "seed") == 2 ** 53 - 1
    code, message = refusal(parse_sampler, dict(sampler, **{key: 2 ** 53}))
    assert (code, message) == (codes.INVALID_REQUEST, "sampler %s needs an integer %r from 0 to 2^53 - 1, found %d" % (sampler["type"], key, 2 ** 53))
