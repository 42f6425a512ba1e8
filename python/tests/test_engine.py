from helpers import GREEDY, batch, engine, greedy_continuation

from pie_trtllm_runtime.batch import parse_batch
from pie_trtllm_runtime.codes import ENGINE_ERROR, MISSING_REPLAY_PREFIX, RequestError


def run(e, requests, **extra):
    return e.forward(parse_batch(batch(requests, **extra)))


def decode(e, context_id, prompt, steps, sampler=GREEDY):
    """Pie's decode loop: the sampled token is fed back one position later."""
    out = run(e, [(context_id, prompt, 0, sampler)])
    tokens = [out[0][0]]
    position = len(prompt)
    for _ in range(steps - 1):
        out = run(e, [(context_id, [tokens[-1]], position, sampler)])
        tokens.append(out[0][0])
        position += 1
    return tokens


def test_greedy_rule_holds_through_many_steps():
    e = engine()
    assert decode(e, 1, [1, 2, 3], 100) == greedy_continuation([1, 2, 3], 100)


def test_lookahead_drains_without_new_calls_and_is_capped_at_16():
    e = engine(lookahead_tokens=32)
    decode(e, 1, [5, 6], 16)
    assert e.engine_calls == 1
    assert e.llm.generated_tokens == 16
    decode(e, 2, [5, 6], 17)
    assert e.engine_calls == 3


def test_lookahead_disabled_at_one():
    e = engine(lookahead_tokens=1)
    assert decode(e, 1, [5], 5) == greedy_continuation([5], 5)
    assert e.engine_calls == 5


def test_divergent_token_invalidates_lookahead():
    e = engine()
    first = run(e, [(1, [10, 11, 12], 0, GREEDY)])[0][0]
    assert e.engine_calls == 1
    # The program writes its own token instead of the sampled one.
    out = run(e, [(1, [first + 1], 3, GREEDY)])
    assert out[0] == greedy_continuation([10, 11, 12, first + 1], 1)
    assert e.engine_calls == 2


def test_sampler_change_drops_lookahead():
    e = engine()
    first = run(e, [(1, [10, 11, 12], 0, GREEDY)])[0][0]
    stochastic = {"type": "top_k", "temperature": 0.8, "k": 40}
    run(e, [(1, [first], 3, stochastic)])
    assert e.histories.get(1).lookahead is None
    assert e.engine_calls == 2


def test_one_batched_call_for_many_contexts_with_cache_salt():
    e = engine()
    calls = []
    generate = e.llm.generate

    def spy(prompts, **kwargs):
        calls.append(([list(p) for p in prompts], kwargs))  # as the engine saw them at call time
        return generate(prompts, **kwargs)

    e.llm.generate = spy
    out = run(e, [(1, [1, 2], 0, GREEDY), (2, [3, 4], 0, GREEDY), (3, [5], 0, None)])
    assert len(calls) == 1
    prompts, kwargs = calls[0]
    assert prompts == [[1, 2], [3, 4]]
    assert kwargs["cache_salt"] == ["1", "2"] and kwargs["use_tqdm"] is False
    params = kwargs["sampling_params"][0]
    assert (params.end_id, params.pad_id, params.ignore_eos, params.detokenize) == (2, 0, True, False)
    assert out == [greedy_continuation([1, 2], 1), greedy_continuation([3, 4], 1), []]


def test_cache_salt_off():
    e = engine(enable_cache_salt=False)
    seen = {}
    generate = e.llm.generate

    def spy(prompts, **kwargs):
        seen.update(kwargs)
        return generate(prompts, **kwargs)

    e.llm.generate = spy
    run(e, [(1, [1, 2], 0, GREEDY)])
    assert "cache_salt" not in seen


def test_same_context_twice_in_a_batch_is_served_in_order():
    e = engine(lookahead_tokens=1)
    first = greedy_continuation([1, 2, 3], 1)[0]
    out = run(e, [(7, [1, 2, 3], 0, GREEDY), (7, [first], 3, GREEDY)])
    assert out == [[first], greedy_continuation([1, 2, 3, first], 1)]
    assert e.engine_calls == 2


def test_engine_exception_fails_only_its_requests(monkeypatch):
    e = engine()
    monkeypatch.setattr(e.llm, "_fail_on", frozenset([1]))
    out = run(e, [(1, [1, 2], 0, GREEDY), (2, [3], 0, None)])
    assert isinstance(out[0], RequestError) and out[0].code == ENGINE_ERROR
    assert out[1] == []
    assert run(e, [(1, [1, 2], 0, GREEDY)]) == [greedy_continuation([1, 2], 1)]


def test_released_context_needs_its_prefix_again():
    e = engine()
    first = run(e, [(1, [1, 2], 0, GREEDY)])[0][0]
    e.release([1])
    out = run(e, [(1, [first], 2, GREEDY)])
    assert isinstance(out[0], RequestError) and out[0].code == MISSING_REPLAY_PREFIX


def test_fork_continues_from_the_parent_tokens():
    e = engine()
    prompt = [9, 8, 7, 6]
    run(e, [(1, prompt, 0, None)])
    e.fork(1, 2, 3)
    out = run(e, [(2, [100], 3, GREEDY)])
    assert out == [greedy_continuation([9, 8, 7, 100], 1)]


def test_max_history_tokens_rejects_instead_of_guessing():
    e = engine(max_history_tokens=4)
    assert e.lookahead == 1
    first = run(e, [(1, [1, 2, 3, 4], 0, GREEDY)])[0]
    out = run(e, [(1, first, 4, GREEDY)])
    assert isinstance(out[0], RequestError) and out[0].code == MISSING_REPLAY_PREFIX
    # The full replay from position 0 is served exactly.
    out = run(e, [(1, [1, 2, 3, 4] + first, 0, GREEDY)])
    assert out == [greedy_continuation([1, 2, 3, 4] + first, 1)]


def test_token_outside_the_vocabulary_fails_alone():
    e = engine()
    out = run(e, [(1, [40000], 0, GREEDY), (2, [5], 0, GREEDY)])
    assert isinstance(out[0], RequestError) and out[0].code == "INVALID_REQUEST"
    assert out[1] == greedy_continuation([5], 1)


def test_a_prompt_over_max_num_tokens_without_chunked_prefill_is_refused_with_the_fix():
    e = engine(max_num_tokens=4)
    out = run(e, [(1, [1, 2, 3, 4, 5], 0, GREEDY), (2, [1, 2], 0, GREEDY)])
    assert out[0].code == "INVALID_REQUEST" and "enable_chunked_prefill" in out[0].message
    assert out[1] == greedy_continuation([1, 2], 1)
    chunked = engine(max_num_tokens=4, enable_chunked_prefill=True)
    assert run(chunked, [(1, [1, 2, 3, 4, 5], 0, GREEDY)]) == [greedy_continuation([1, 2, 3, 4, 5], 1)]


def _decode_batch(contexts, last, position):
    return {"token_ids": [last[c] for c in contexts], "position_ids": [position] * len(contexts), "qo_indptr": list(range(len(contexts) + 1)),
            "context_ids": list(contexts), "sampler_table": [GREEDY], "sampler_index": [0] * len(contexts)}


def test_decode_fast_path_answers_exactly_as_the_general_path():
    from pie_trtllm_runtime.batch import decode_columns
    fast, general = engine(lookahead_tokens=4), engine(lookahead_tokens=4)
    contexts = [1, 2, 3]
    prompts = {c: [c, c + 1, c + 2] for c in contexts}
    for e in (fast, general):
        out = run(e, [(c, prompts[c], 0, GREEDY) for c in contexts])
    last = {c: out[i][0] for i, c in enumerate(contexts)}
    for step in range(20):
        b = _decode_batch(contexts, last, 3 + step)
        if step == 7:
            b["token_ids"][1] = 5  # context 2 diverges: its buffer must be dropped on both paths
        columns = decode_columns(b)
        assert columns is not None
        a = fast.decode_step(*columns)
        g = general.forward(parse_batch(b))
        assert a == g, step
        last = {c: a[i][0] for i, c in enumerate(contexts)}
    for c in contexts:
        assert fast.histories.get(c).tokens == general.histories.get(c).tokens
        assert fast.histories.get(c).confirmed == general.histories.get(c).confirmed
    assert fast.engine_calls == general.engine_calls
    assert fast.lookahead_hits == general.lookahead_hits > 0


def test_only_plain_greedy_single_token_batches_take_the_fast_path():
    from pie_trtllm_runtime.batch import decode_columns
    plain = _decode_batch([1, 2], {1: 5, 2: 6}, 3)
    assert decode_columns(plain) is not None
    assert decode_columns(dict(plain, context_ids=[1, 1])) is None  # one context twice: in order, general path
    assert decode_columns(dict(plain, sampler_table=[{"type": "top_k", "temperature": 0.8, "k": 5}])) is None
    assert decode_columns(dict(plain, token_ids=[5, 6, 7], position_ids=[3, 3, 4], qo_indptr=[0, 1, 3])) is None
    assert decode_columns(dict(plain, sampler_index=[0, -1])) is None
    assert decode_columns(dict(plain, image_indptr=[0, 0, 1])) is None
    assert decode_columns(dict(plain, token_ids=[5, True])) is None


def test_a_status_that_cannot_be_built_is_an_error_reply_not_zeros():
    import json

    from pie_trtllm_runtime.server import Server

    e = engine()

    def broken():
        raise RuntimeError("statistics unavailable")

    e.engine_statistics = broken
    server = Server(e, {}, None, None)
    reply = server.handle(json.dumps({"id": 1, "op": "status"}).encode())
    assert reply["error"]["code"] == "ENGINE_ERROR" and "statistics unavailable" in reply["error"]["message"]
    e.engine_statistics = lambda: {"calls": 0}
    assert server.handle(json.dumps({"id": 2, "op": "status"}).encode())["status"]["simulated_engine"] == {"calls": 0}
