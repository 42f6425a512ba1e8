"""The engine's side of every stream event, from the simulated executor's own record of what it was
asked (simulated_trtllm/request_ledger.py), independent of the tokens a program gets: which
requests were submitted, with which prompt and parameters, which were aborted, what was wasted.
Expected values come from the design (DESIGN §3, lookahead_policy's documented numbers: a first
request of 32 tokens, continued within 4) and from TensorRT-LLM 1.2.1 (max_tokens never past
max_seq_len minus the prompt: BaseWorker._deduce_max_tokens clamps such a request)."""

import json
import os
import time

import pytest

from helpers import GREEDY, EngineClock, batch, engine, greedy_continuation
from pie_trtllm_runtime.batch import parse_batch
from pie_trtllm_runtime.server import Server

TOP_K = {"type": "top_k", "temperature": 0.7, "k": 5}
PROMPT = [5, 6, 7]


@pytest.fixture(autouse=True)
def ledger(monkeypatch):
    monkeypatch.setenv("PIE_TRTLLM_SIMULATE_LEDGER", "1")


def step(e, context_id, tokens, start, sampler=GREEDY):
    out = e.forward(parse_batch(batch([(context_id, tokens, start, sampler)])))
    assert isinstance(out[0], list), out
    return out[0]


def records(e):
    return list(e.llm.ledger)


def settle(e, seconds=5.0):
    """Waits until every request the engine was asked for has ended (made its tokens, or aborted)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        e.requests.idle()
        if all(r.finished for r in records(e)):
            return
        time.sleep(0.01)
    raise AssertionError("requests still running: %r" % records(e))


def test_a_new_greedy_context_starts_one_streaming_request_with_its_history_as_prompt():
    e = engine(lookahead_tokens=16)
    step(e, 7, PROMPT, 0)
    settle(e)
    [first] = records(e)
    assert first.prompt == tuple(PROMPT) and first.streaming and first.max_tokens == 32
    assert first.params["ignore_eos"] is True and first.params["detokenize"] is False
    assert first.params["end_id"] == 2 and first.params["pad_id"] == 0  # the simulated model's, as DESIGN says
    assert first.cache_salt == "7" and not first.aborted  # one KV namespace per context


def test_a_program_that_follows_its_stream_gets_one_continuation_built_on_what_was_made():
    e = engine(lookahead_tokens=16)
    made = greedy_continuation(PROMPT, 40)
    step(e, 7, PROMPT, 0)
    settle(e)
    # Steps up to within 4 tokens of the first request's 32: continued once, from its end.
    for n in range(1, 29):
        assert step(e, 7, [made[n - 1]], len(PROMPT) + n - 1) == [made[n]]
    settle(e)
    first, second = records(e)
    assert second.prompt == tuple(PROMPT + made[:32]) and second.streaming and not first.aborted and not second.aborted
    assert second.max_tokens == 32  # clock off: the request had ended long before the program came near (not kept up)
    assert e.requests.continuations == 1 and e.requests.wasted == 0


@pytest.mark.parametrize("leave", ["divergence", "release", "eviction", "fork", "sampler", "shutdown"])
def test_a_stream_its_program_leaves_is_aborted_at_the_engine_and_its_untaken_tokens_counted_as_waste(leave):
    with EngineClock(20):  # 20 ms an iteration: the 32-token request is in flight for most of a second
        e = engine(lookahead_tokens=16, max_session_histories=2)
    made = greedy_continuation(PROMPT, 3)
    step(e, 7, PROMPT, 0)
    assert step(e, 7, [made[0]], 3) == [made[1]]  # the program took two of the stream's tokens
    if leave == "divergence":
        step(e, 7, [made[1] + 1], 4)  # a token of its own
    elif leave == "release":
        e.release([7])
    elif leave == "eviction":
        step(e, 8, [1, 2], 0, None)
        step(e, 9, [1, 2], 0, None)  # two newer contexts where two fit
    elif leave == "fork":
        step(e, 8, [1, 2], 0, None)
        e.fork(8, 7, 2)  # a fork onto the context replaces its history
    elif leave == "sampler":
        step(e, 7, [made[1]], 4, TOP_K)
    elif leave == "shutdown":
        e.requests.shutdown()
    if leave != "shutdown":
        settle(e)  # the abort reaches the engine thread, then the executor's next iteration
    first = records(e)[0]
    assert first.aborted, records(e)
    if leave != "shutdown":
        assert len(first.made) < 32  # ended early by the abort
        # What it made and the program never took: everything past its two.
        assert e.requests.wasted == len(first.made) - 2
    assert all(r.aborted or r.finished for r in records(e))


def test_no_request_asks_past_the_models_remaining_length():
    # max_seq_len 40: a 30-token prompt leaves 10 (1.2.1 would clamp 32 to 10, with a warning).
    e = engine(lookahead_tokens=16, max_seq_len=40, enable_chunked_prefill=True)
    prompt = list(range(1, 31))
    step(e, 7, prompt, 0)
    settle(e)
    made = greedy_continuation(prompt, 10)
    for n in range(1, 9):
        assert step(e, 7, [made[n - 1]], 30 + n - 1) == [made[n]]
    settle(e)
    asked = [(len(r.prompt), r.max_tokens) for r in records(e)]
    assert asked[0] == (30, 10)
    assert all(length + tokens <= 40 for length, tokens in asked), asked
    assert e.llm.max_tokens_clamped == 0


def test_one_shot_sampling_steps_ask_for_one_token_with_the_samplers_fields_and_a_seed_per_step():
    e = engine(lookahead_tokens=1, llm_kwargs={"sampler_type": "TRTLLMSampler"})
    step(e, 7, PROMPT, 0, TOP_K)
    step(e, 7, [9], 3, TOP_K)
    settle(e)
    first, second = records(e)
    assert (first.max_tokens, second.max_tokens) == (1, 1) and not first.streaming
    assert second.prompt == tuple(PROMPT + [9])
    assert (first.params["temperature"], first.params["top_k"]) == (0.7, 5)
    assert first.params["seed"] is not None and first.params["seed"] != second.params["seed"]


def test_a_status_message_asks_the_engine_nothing():
    e = engine(lookahead_tokens=16)
    server = Server(e, {}, None, None)
    server.handle(json.dumps({"id": 1, "op": "forward", "batch": batch([(7, PROMPT, 0, GREEDY)])}).encode())
    settle(e)
    before = len(records(e))
    for i in range(5):
        server.handle(json.dumps({"id": 2 + i, "op": "status"}).encode())
    assert len(records(e)) == before
