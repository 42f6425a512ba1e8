"""The server answers every decode step, anticipated or not, exactly as the reference model of the
design says (reference_model.py: replay history and the whole-prompt rule, no runtime code)."""

import base64
import json
from array import array

from helpers import LOGGED_ERRORS, GREEDY, LOOKAHEAD_OPTIONS, EngineClock, batch, engine, shut_down
from hypothesis import given, settings
from hypothesis import strategies as st

from pie_trtllm_runtime.next_decode_step import same_json
from pie_trtllm_runtime.server import Server
from reference_model import ReferenceReplay, greedy_after

PROMPT = [11, 12, 13]


def packed(code, values):
    return base64.b64encode(array(code, values).tobytes()).decode("ascii")


def driver_step(contexts, tokens, positions, sampler=GREEDY):
    """A decode step as the driver sends it: from 32 tokens packed, leaving out what one token per
    request and one shared sampler imply; below that, plain arrays."""
    if len(tokens) >= 32:
        return {"packed": {"token_ids": packed("I", tokens), "position_ids": packed("I", positions), "context_ids": packed("Q", contexts)},
                "sampler_table": [sampler]}
    return {"token_ids": list(tokens), "position_ids": list(positions), "qo_indptr": list(range(len(tokens) + 1)),
            "context_ids": list(contexts), "sampler_table": [sampler], "sampler_index": [0] * len(tokens)}


class Pair:
    """A server (anticipating, with lookahead) and the reference model fed the same steps."""

    def __init__(self, contexts, options=None, max_contexts=65536):
        self.server = Server(engine(max_session_histories=max_contexts, **(options or {})), {}, None, None)
        self.reference = ReferenceReplay(max_contexts)
        LOGGED_ERRORS.records.clear()
        self.next_id = 0
        got = self.send({"op": "forward", "batch": batch([(c, PROMPT, 0, GREEDY) for c in contexts])})
        assert got == self.reference.batch([(c, [0, 1, 2], PROMPT, True) for c in contexts])

    def send(self, message):
        self.next_id += 1
        reply = self.server.handle(json.dumps(dict(message, id=self.next_id)).encode())
        assert reply["id"] == self.next_id
        self.evicted = reply.get("evicted", [])
        if "tokens" in reply:
            return [[t] for t in array("I", base64.b64decode(reply["tokens"])).tolist()]
        if "results" in reply:
            return [r["error"]["code"] if isinstance(r, dict) else r for r in reply["results"]]
        return reply

    def step(self, contexts, tokens, positions):
        got = self.send({"op": "forward", "batch": driver_step(contexts, tokens, positions)})
        assert got == self.reference.batch([(c, [p], [t], True) for c, t, p in zip(contexts, tokens, positions)])
        assert sorted(self.evicted) == sorted(self.reference.drain_evicted())
        return got

    def release(self, context_ids):
        assert self.send({"op": "release", "context_ids": context_ids})["ok"]
        self.reference.release(context_ids)

    def same_state(self):
        self.server.catch_up()  # steps answered ahead are recorded when their chain ends
        assert not LOGGED_ERRORS.records, LOGGED_ERRORS.messages()
        histories = self.server.engine.histories
        assert list(histories.contexts) == list(self.reference.histories)  # the same contexts, in LRU order
        for context_id, written in self.reference.histories.items():
            context = histories.get(context_id)
            assert context.offset == 0 and context.tokens[:context.confirmed] == written


FIRST = greedy_after(PROMPT)  # what every context's prefill answered


def test_a_steady_decode_loop_is_answered_ahead_and_exactly():
    contexts = list(range(100, 140))
    pair = Pair(contexts, {"lookahead_stream_tokens": 16, "lookahead_tokens": 2})
    pair.server.engine.requests.idle()  # every stream has all 16 of its tokens
    last = [FIRST] * len(contexts)
    for step in range(48):
        out = pair.step(contexts, last, [3 + step] * len(contexts))
        last = [r[0] for r in out]
        pair.server.engine.requests.idle()
    pair.same_state()
    # Step s (from 0) answers position 4 + s. The first requests made positions 3..18. A chain of
    # expected steps records what it handed out when it ends, so each stream learns it is within 2
    # tokens of its end when its last token has been handed out: after steps 14, 30 and 46, each
    # time continued with 16 more. 40 × 4 requests. Steps 0, 15, 31 and 47 take the general path
    # (the first follows a prefill; the others need a continuation's first token); the 44 others
    # come as expected.
    assert pair.server.engine.engine_calls == 160
    assert pair.server.anticipated_steps == 44
    assert pair.server.status()["anticipated_steps"] == 44


def test_a_status_between_steps_leaves_the_chain_and_counts_what_it_answered():
    # The loop above, with a status (a metrics scrape) before every step: the same 44 steps come
    # as expected and the engine gets the same 160 requests; each status counts every token
    # answered so far, one per context per step plus the prefill's.
    contexts = list(range(100, 140))
    pair = Pair(contexts, {"lookahead_stream_tokens": 16, "lookahead_tokens": 2})
    pair.server.engine.requests.idle()
    last = [FIRST] * len(contexts)
    for step in range(48):
        status = pair.send({"op": "status"})["status"]
        assert status["tokens_generated"] == 40 * (1 + step) and status["lookahead_hits"] >= 40 * max(0, step - 4)
        out = pair.step(contexts, last, [3 + step] * len(contexts))
        last = [r[0] for r in out]
        pair.server.engine.requests.idle()
    pair.same_state()
    assert pair.server.engine.engine_calls == 160
    assert pair.server.anticipated_steps == 44
    assert pair.send({"op": "status"})["status"]["tokens_generated"] == 40 * 49


def test_any_other_message_or_a_different_batch_takes_the_general_path():
    contexts = list(range(1, 41))
    pair = Pair(contexts)
    last = [FIRST] * len(contexts)
    out = pair.step(contexts, last, [3] * 40)
    last = [r[0] for r in out]
    assert pair.send({"op": "capabilities"})["capabilities"] == {}  # discards the expectation
    out = pair.step(contexts, last, [4] * 40)
    assert pair.server.anticipated_steps == 0
    last = [r[0] for r in out]
    diverged = list(last)
    diverged[7] = 5  # one program takes another token: its buffer goes, the others still hit
    out = pair.step(contexts, diverged, [5] * 40)
    last = [r[0] for r in out]
    pair.release([contexts[0]])  # a released context cannot be decoded without its prefix again
    out = pair.step(contexts, last, [6] * 40)
    assert out[0] == "MISSING_REPLAY_PREFIX"
    pair.same_state()


def test_a_small_plain_decode_loop_is_answered_ahead_too():
    pair = Pair([7])
    pair.server.engine.requests.idle()
    last = FIRST
    for step in range(16):
        out = pair.step([7], [last], [3 + step])
        last = out[0][0]
    pair.same_state()
    assert pair.server.anticipated_steps == 16 - 1  # all but the first
    loose = driver_step([7], [last], [19])
    loose["token_ids"] = [float(last)]  # equal in value, not in type: the general path judges it
    assert pair.send({"op": "forward", "batch": loose})[0] == "INVALID_REQUEST"
    assert pair.server.anticipated_steps == 15


def test_an_expected_batch_whose_sampler_differs_in_type_only_is_not_taken_as_expected():
    contexts = list(range(1, 33))
    pair = Pair(contexts)
    last = [FIRST] * len(contexts)
    out = pair.step(contexts, last, [3] * 32)
    before = pair.server.anticipated_steps
    loose = driver_step(contexts, [r[0] for r in out], [4] * 32, {"type": "top_p", "temperature": False, "p": 1})
    pair.send({"op": "forward", "batch": loose})
    assert pair.server.anticipated_steps == before


def test_same_json_requires_equal_types():
    assert same_json({"a": [1, "x", None]}, {"a": [1, "x", None]})
    assert not same_json(1, True)
    assert not same_json(0, 0.0)
    assert not same_json({"a": 1}, {"a": 1, "b": 2})
    assert not same_json([1, 2], [1, 2, 3])


ACTIONS = st.lists(st.tuples(st.sampled_from(["follow", "follow", "follow", "diverge", "swap", "drop", "release", "status", "new"]),
                             st.integers(0, 1 << 16)), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(actions=ACTIONS, options=LOOKAHEAD_OPTIONS, width=st.sampled_from([1, 3, 36]), bound=st.sampled_from([None, 1, 2]))
def test_random_decode_loops_answer_as_the_reference_model(actions, options, width, bound):
    check_random_decode_loop(actions, options, width, bound)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(actions=ACTIONS, options=LOOKAHEAD_OPTIONS, width=st.sampled_from([1, 3, 36]), bound=st.sampled_from([None, 1, 2]))
def test_random_decode_loops_with_the_engine_clock_on_answer_as_the_reference_model(actions, options, width, bound):
    with EngineClock(1):
        check_random_decode_loop(actions, options, width, bound)


def check_random_decode_loop(actions, options, width, bound):
    """Steps of a decode loop (following, diverging, reordering, dropping, releasing, asking for
    status, and at times a new context) against the reference model; `bound` extra contexts over
    the width set max_session_histories, so evictions happen in the middle of a loop."""
    contexts = list(range(200, 200 + width))
    pair = Pair(contexts, options, 65536 if bound is None else width + bound)
    try:
        _random_steps(pair, contexts, actions)
    finally:
        shut_down(pair.server.engine)


def _random_steps(pair, contexts, actions):
    state = {c: (FIRST, 3) for c in contexts}  # context -> (token, position)
    order = list(contexts)
    for action, pick in actions:
        if action == "status":
            pair.send({"op": "status"})
            continue
        if action == "release":
            pair.release([order[pick % len(order)]])
            continue
        if action == "new":
            newcomer = 1000 + pick
            if newcomer not in state:
                out = pair.send({"op": "forward", "batch": batch([(newcomer, [pick % 32000], 0, GREEDY)])})
                assert out == pair.reference.batch([(newcomer, [0], [pick % 32000], True)])
                assert sorted(pair.evicted) == sorted(pair.reference.drain_evicted())
            continue
        step = list(order)
        if action == "swap":
            i, j = pick % len(step), (pick >> 8) % len(step)
            step[i], step[j] = step[j], step[i]
            order = step
        elif action == "drop" and len(step) > 1:
            del step[pick % len(step)]
        tokens = [state[c][0] for c in step]
        if action == "diverge":
            tokens[pick % len(tokens)] = pick % 32000
        out = pair.step(step, tokens, [state[c][1] for c in step])
        for c, result in zip(step, out):
            if isinstance(result, list):
                state[c] = (result[0], state[c][1] + 1)
    pair.same_state()
