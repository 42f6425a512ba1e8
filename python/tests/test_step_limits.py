"""Where a decode loop is refused for length is one rule, the same in every lookahead mode: a step
whose prefix is above max_num_tokens (without chunked prefill; TensorRT-LLM 1.2.1's
`LLM._check_arguments` refuses such a prompt) or leaves no room in max_seq_len is refused with
INVALID_REQUEST, whether its token would come from a stream, a window, an answered-ahead chain or
a request of its own. Expected tokens come from the design's rule (helpers.greedy_continuation)."""

import base64
import json
from array import array

import pytest

from helpers import GREEDY, batch, engine, greedy_continuation
from pie_trtllm_runtime import codes
from pie_trtllm_runtime.server import Server

MODES = [
    {"lookahead_tokens": 1},
    {"lookahead_tokens": 16},
    {"lookahead_tokens": 2, "lookahead_stream_tokens": 2},
    {"lookahead_tokens": 4, "lookahead_mode": "window"},
    {"lookahead_tokens": 16, "lookahead_mode": "window"},
]
IDS = ["off", "stream", "short stream", "window 4", "window 16"]
TOP_K = {"type": "top_k", "temperature": 0.8, "k": 8}


def loop_until_refused(options, contexts, sampler=GREEDY, steps=40):
    """Prefills `contexts` with a 4-token prompt and decodes them step by step, as the driver sends
    packed steps. Returns the prefix length of the first refused step, the error, and the tokens
    each context got before it."""
    server = Server(engine(**options), {}, None, None)
    prompt = [3, 1, 4, 1]
    replies = []

    def send(message_id, step):
        reply = server.handle(json.dumps({"id": message_id, "op": "forward", "batch": step}).encode())
        if "tokens" in reply:
            return [[t] for t in array("I", base64.b64decode(reply["tokens"])).tolist()]
        return reply["results"]

    got = send(0, batch([(c, prompt, 0, sampler) for c in contexts]))
    outputs = [list(r) for r in got]
    for n in range(1, steps):
        position = len(prompt) + n - 1
        step = {"token_ids": [o[-1] for o in outputs], "position_ids": [position] * len(contexts), "qo_indptr": list(range(len(contexts) + 1)),
                "context_ids": list(contexts), "sampler_table": [sampler], "sampler_index": [0] * len(contexts)}
        got = send(n, step)
        replies.append(got)
        if any(isinstance(r, dict) for r in got):
            assert all(isinstance(r, dict) for r in got), got  # every context of the loop at the same point
            return position + 1, got[0]["error"], outputs
        for output, result in zip(outputs, got):
            output.extend(result)
    return None, None, outputs


@pytest.mark.parametrize("options", MODES, ids=IDS)
def test_max_num_tokens_without_chunked_prefill_refuses_the_step_past_it_in_every_mode(options):
    prefix, error, outputs = loop_until_refused(dict(options, max_num_tokens=16), [7, 8, 9])
    assert prefix == 17
    assert error["code"] == codes.INVALID_REQUEST and "above max_num_tokens (16)" in error["message"]
    # Every step up to the limit was served, each with the rule's token: 13 of them after the prefill.
    assert outputs == [greedy_continuation([3, 1, 4, 1], 13)] * 3


@pytest.mark.parametrize("options", MODES, ids=IDS)
def test_a_stochastic_loop_is_refused_at_the_same_step(options):
    prefix, error, outputs = loop_until_refused(dict(options, max_num_tokens=16), [7, 8, 9], sampler=TOP_K)
    assert prefix == 17 and error["code"] == codes.INVALID_REQUEST and [len(o) for o in outputs] == [13] * 3


@pytest.mark.parametrize("options", MODES, ids=IDS)
def test_max_seq_len_leaves_room_for_the_last_token_in_every_mode(options):
    # With chunked prefill no prompt limit applies; max_seq_len 20 holds positions 0..19, so the
    # step with a 19-token prefix gets the last token and the one with 20 is refused.
    prefix, error, outputs = loop_until_refused(dict(options, max_seq_len=20, enable_chunked_prefill=True), [7, 8])
    assert prefix == 20 and error["code"] == codes.INVALID_REQUEST and "the model's limit is 20 tokens" in error["message"]
    assert outputs == [greedy_continuation([3, 1, 4, 1], 16)] * 2


def test_a_stream_makes_no_token_a_step_may_not_take():
    e = engine(lookahead_tokens=16, max_num_tokens=16)
    server = Server(e, {}, None, None)
    server.handle(json.dumps({"id": 1, "op": "forward", "batch": batch([(1, [3, 1, 4, 1], 0, GREEDY)])}).encode())
    e.requests.idle()
    stream = e.histories.get(1).stream
    # Positions 4..16: the tokens of steps with prefixes 4..16.
    assert stream.base == 4 and len(stream.tokens) == 13
