from helpers import GREEDY, EngineClock, batch, engine, greedy_continuation

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


class DecodeLoop:
    """A decode loop that can be continued: its prompt first, then each answer fed back."""

    def __init__(self, e, context_id, prompt, sampler=GREEDY):
        self.e, self.context_id, self.sampler = e, context_id, sampler
        self.history = list(prompt)
        self.answers = []

    def steps(self, n):
        for _ in range(n):
            if not self.answers:
                out = run(self.e, [(self.context_id, self.history, 0, self.sampler)])
            else:
                out = run(self.e, [(self.context_id, [self.answers[-1]], len(self.history), self.sampler)])
                self.history.append(self.answers[-1])
            self.answers.append(out[0][0])
        return self.answers


def test_greedy_rule_holds_through_many_steps():
    e = engine()
    assert decode(e, 1, [1, 2, 3], 100) == greedy_continuation([1, 2, 3], 100)


def test_one_stream_request_serves_a_window_and_is_continued_near_its_end():
    # The policy (lookahead_policy, docs/performance.md): a stream's first request asks for 32
    # tokens (or lookahead_stream_tokens, if fewer); it is continued once the program has at most
    # min(lookahead_tokens, 4) of them left to take.
    e = engine(lookahead_stream_tokens=32, lookahead_tokens=4)
    loop = DecodeLoop(e, 1, [5, 6])
    loop.steps(27)
    e.requests.idle()
    assert e.engine_calls == 1 and e.engine_tokens == 32  # 27 taken, 5 left: more than 4
    loop.steps(1)
    e.requests.idle()
    assert e.engine_calls == 2 and e.engine_tokens == 64  # 28 taken, 4 left: continued
    assert loop.steps(40) == greedy_continuation([5, 6], 68)


def test_a_stream_is_continued_within_four_tokens_or_fewer_with_a_smaller_lookahead():
    for lookahead, continued_after in ((16, 28), (32, 28), (4, 28), (3, 29), (2, 30)):
        e = engine(lookahead_stream_tokens=40, lookahead_tokens=lookahead)
        loop = DecodeLoop(e, 1, [5, 6])
        loop.steps(continued_after - 1)
        e.requests.idle()
        assert e.engine_calls == 1, lookahead  # one more token left than the bound
        loop.steps(1)
        e.requests.idle()
        assert e.engine_calls == 2, lookahead


def requests_asked(e):
    """The max_tokens of every engine request the engine makes from now on."""
    asked = []
    original = e._sampling_params

    def recording(**kwargs):
        asked.append(kwargs["max_tokens"])
        return original(**kwargs)

    e._sampling_params = recording
    return asked


def test_a_program_that_keeps_up_gets_continuations_of_lookahead_stream_tokens():
    # With the engine's clock on (1 ms an iteration) the loop takes each token as it comes: every
    # request ends with its program within 4 tokens of its end, so it is continued at once, for
    # 128 tokens: 32, then 128 at a time (32 + 128 + 128 = 288 < 300: four requests).
    with EngineClock(1):
        e = engine(lookahead_stream_tokens=128)
    asked = requests_asked(e)
    loop = DecodeLoop(e, 1, [5, 6])
    assert loop.steps(300) == greedy_continuation([5, 6], 300)
    e.requests.idle()
    assert asked == [32, 128, 128, 128]


def test_a_program_that_falls_behind_gets_continuations_as_long_as_its_stream_so_far():
    # With the clock off every request is made at once, far ahead of its program: it ends with its
    # program more than 4 tokens away, so it is continued only once the program comes within 4,
    # for as many tokens as the stream has made (32 at least, 128 at most): 32, 32, 64, 128
    # (256 made), then 128 for the rest of 300.
    e = engine(lookahead_stream_tokens=128)
    asked = requests_asked(e)
    loop = DecodeLoop(e, 1, [5, 6])
    assert loop.steps(300) == greedy_continuation([5, 6], 300)
    e.requests.idle()
    assert asked == [32, 32, 64, 128, 128]


def test_a_falling_behind_programs_continuations_stop_growing_at_lookahead_stream_tokens():
    # 32, 32, then 64 would pass the 48 of lookahead_stream_tokens: 48 from then on. 200 tokens:
    # 32 + 32 + 48 + 48 = 160, and one more 48.
    e = engine(lookahead_stream_tokens=48)
    asked = requests_asked(e)
    loop = DecodeLoop(e, 1, [5, 6])
    assert loop.steps(200) == greedy_continuation([5, 6], 200)
    e.requests.idle()
    assert asked == [32, 32, 48, 48, 48]


def test_window_mode_waits_for_whole_windows_as_pie_does():
    e = engine(lookahead_mode="window", lookahead_tokens=4)
    loop = DecodeLoop(e, 1, [5, 6])
    loop.steps(4)
    e.requests.idle()
    assert e.engine_calls == 1 and e.engine_tokens == 4  # a window is made only on a miss
    loop.steps(1)
    e.requests.idle()
    assert e.engine_calls == 2 and e.engine_tokens == 8
    assert loop.steps(7) == greedy_continuation([5, 6], 12)


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


def test_sampler_change_ends_the_greedy_stream_and_starts_one_of_the_new_sampler():
    e = engine()
    first = run(e, [(1, [10, 11, 12], 0, GREEDY)])[0][0]
    stochastic = {"type": "top_k", "temperature": 0.8, "k": 40}
    stream = e.histories.get(1).stream
    run(e, [(1, [first], 3, stochastic)])
    assert stream.state == "closed"
    assert e.histories.get(1).stream.sampler_key == ("top_k", 0.8, 40, None, None, 0)
    assert e.engine_calls == 2


def spy_on_requests(e):
    """The engine requests as TensorRT-LLM saw them: (prompt at call time, keyword arguments)."""
    calls = []
    generate_async = e.llm.generate_async

    def spy(prompt, **kwargs):
        calls.append((list(prompt), kwargs))
        return generate_async(prompt, **kwargs)

    e.llm.generate_async = spy
    return calls


def test_each_greedy_context_gets_a_streaming_request_with_its_cache_salt():
    e = engine()
    calls = spy_on_requests(e)
    out = run(e, [(1, [1, 2], 0, GREEDY), (2, [3, 4], 0, GREEDY), (3, [5], 0, None)])
    assert out == [greedy_continuation([1, 2], 1), greedy_continuation([3, 4], 1), []]
    assert [prompt for prompt, _ in calls] == [[1, 2], [3, 4]]
    assert [kwargs["cache_salt"] for _, kwargs in calls] == ["1", "2"]
    assert all(kwargs["streaming"] is True for _, kwargs in calls)
    params = calls[0][1]["sampling_params"]
    assert (params.max_tokens, params.end_id, params.pad_id, params.ignore_eos, params.detokenize) == (32, 2, 0, True, False)


def test_sampled_requests_of_a_batch_are_submitted_together_one_token_each():
    e = engine(lookahead_tokens=1)
    calls = spy_on_requests(e)
    out = run(e, [(1, [1, 2], 0, GREEDY), (2, [3, 4], 0, GREEDY)])
    assert out == [greedy_continuation([1, 2], 1), greedy_continuation([3, 4], 1)]
    assert [(prompt, kwargs["cache_salt"], kwargs["sampling_params"].max_tokens) for prompt, kwargs in calls] == [([1, 2], "1", 1), ([3, 4], "2", 1)]
    assert all("streaming" not in kwargs for _, kwargs in calls)


def test_cache_salt_off():
    for options in ({}, {"lookahead_tokens": 1}):
        e = engine(enable_cache_salt=False, **options)
        calls = spy_on_requests(e)
        run(e, [(1, [1, 2], 0, GREEDY)])
        assert len(calls) == 1 and "cache_salt" not in calls[0][1]


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
    # At most 4 written tokens are kept once a request is served: a request whose prompt needs a
    # dropped one is refused, never served from a shorter prompt.
    e = engine(max_history_tokens=4)
    assert e.policy.mode == "off"
    first = run(e, [(1, [1, 2, 3, 4], 0, GREEDY)])[0]
    second = run(e, [(1, first, 4, GREEDY)])[0]  # 4 kept + its own token: the prompt is whole
    assert second == greedy_continuation([1, 2, 3, 4] + first, 1)
    assert e.histories.get(1).offset == 1
    out = run(e, [(1, second, 5, GREEDY)])
    assert isinstance(out[0], RequestError) and out[0].code == MISSING_REPLAY_PREFIX
    # The full replay from position 0 is served exactly.
    out = run(e, [(1, [1, 2, 3, 4] + first + second, 0, GREEDY)])
    assert out == [greedy_continuation([1, 2, 3, 4] + first + second, 1)]


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
    fast.requests.idle()
    general.requests.idle()  # the engine thread counts a request once it submits it
    assert fast.engine_calls == general.engine_calls
    # Whether a step finds its token made or waits for it depends on how far the engine thread got
    # meanwhile; every step is one or the other on both paths.
    assert fast.lookahead_hits + fast.stream_waits == general.lookahead_hits + general.stream_waits
    assert fast.lookahead_hits > 0 and general.lookahead_hits > 0


def test_only_plain_single_token_batches_with_one_token_sampler_take_the_fast_path():
    from pie_trtllm_runtime.batch import decode_columns
    plain = _decode_batch([1, 2], {1: 5, 2: 6}, 3)
    assert decode_columns(plain) is not None
    assert decode_columns(dict(plain, context_ids=[1, 1])) is None  # one context twice: in order, general path
    assert decode_columns(dict(plain, sampler_table=[{"type": "top_k", "temperature": 0.8, "k": 5}]))[3].stream_key == ("top_k", 0.8, 5, None, None, 0)
    assert decode_columns(dict(plain, sampler_table=[{"type": "logprob", "token_id": 5}])) is None  # a probe: refused on the general path
    assert decode_columns(dict(plain, sampler_table=[GREEDY, GREEDY], sampler_index=[0, 1])) is None
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
