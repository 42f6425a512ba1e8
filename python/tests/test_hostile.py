"""Hostile input never ends the runtime and fails only the request it is in."""

import base64
import json
import os
from array import array

import pytest

from helpers import GREEDY, batch, engine, greedy_continuation
from pie_trtllm_runtime import codes, framing
from pie_trtllm_runtime.batch import parse_batch
from pie_trtllm_runtime.framing import FrameReader, FrameWriter, OversizedFrame
from pie_trtllm_runtime.server import Server
from runtime_process import RuntimeProcess


def nested(depth):
    return "[" * depth + "]" * depth


def results_of(e, requests):
    out = e.forward(parse_batch(batch(requests)))
    return [r.code if isinstance(r, codes.RequestError) else r for r in out]


def test_unknown_or_malformed_sampler_fields_fail_their_request_alone():
    e = engine()
    bad = [
        {"type": "top_p", "temperature": 0, "p": 1, "k": [1]},            # a list where no field belongs
        {"type": "top_p", "temperature": 0, "p": 1, "k": 1e400},          # honoured silently before
        {"type": "top_p", "temperature": 0, "p": 1, "extra": {"a": [1]}},
        {"type": "top_k", "temperature": [0], "k": 1},
        {"type": ["top_p"], "temperature": 0, "p": 1},
        {"type": "top_p", "temperature": float("inf"), "p": 1},
    ]
    for sampler in bad:
        out = results_of(e, [(1, [1, 2], 0, sampler), (2, [3, 4], 0, GREEDY)])
        assert out == [codes.INVALID_REQUEST, greedy_continuation([3, 4], 1)], sampler
        e.release([1, 2])


def test_resending_a_known_token_mid_history_keeps_the_rest():
    e = engine()
    prompt = list(range(1, 64))
    assert results_of(e, [(1, prompt, 0, None)]) == [[]]
    # Position 20 again, same token, with a sampler: answered from the first 21 tokens.
    assert results_of(e, [(1, [prompt[20]], 20, GREEDY)]) == [greedy_continuation(prompt[:21], 1)]
    # The history still holds all 63 written tokens: continuing at 63 works.
    assert results_of(e, [(1, [7], 63, GREEDY)]) == [greedy_continuation(prompt + [7], 1)]


def test_a_context_evicted_and_recreated_in_one_batch_is_not_reported_evicted():
    e = engine(max_session_histories=2)
    server = Server(e, {}, None, None)

    def send(message_id, requests):
        return server.handle(json.dumps({"id": message_id, "op": "forward", "batch": batch(requests)}).encode())

    send(1, [(1, [1, 2], 0, GREEDY), (2, [3, 4], 0, GREEDY)])
    # Context 3 evicts 1; context 1 comes back from position 0 and evicts 2.
    reply = send(2, [(3, [5], 0, GREEDY), (1, [1, 2], 0, GREEDY)])
    assert reply["evicted"] == [2]
    assert reply["results"][1] == greedy_continuation([1, 2], 1)
    assert len(e.histories) == 2 and e.histories.get(1) is not None


def test_a_refused_request_for_an_unknown_context_evicts_nothing():
    e = engine(max_session_histories=1)
    results_of(e, [(1, [1, 2], 0, GREEDY)])
    assert results_of(e, [(9, [5], 7, GREEDY)]) == [codes.MISSING_REPLAY_PREFIX]
    assert e.histories.get(1) is not None and e.histories.get(9) is None and e.histories.drain_evicted() == []


@pytest.mark.parametrize("raw, why", [
    (b'{"id": 1e400, "op": "status"}', "id"),
    (b'{"id": %d, "op": "status"}' % 2 ** 100, "id"),
    (b'{"id": [[1]], "op": "status"}', "id"),
    (b'{"id": 1, "op": "bogus", "x": ' + nested(5000).encode() + b'}', "nests too deep"),
    (b'[' * 100000, "nests too deep"),
])
def test_messages_that_cannot_be_answered_exactly_get_invalid_request_with_id_null(raw, why):
    server = Server(engine(), {}, None, None)
    reply = server.reply_to(raw)
    assert reply["id"] is None and reply["error"]["code"] == codes.INVALID_REQUEST and why in reply["error"]["message"]
    json.dumps(reply)


def test_an_oversized_frame_is_dropped_and_the_stream_stays_in_step(monkeypatch):
    monkeypatch.setattr(framing, "MAX_FRAME_BYTES", 64)
    read_end, write_end = os.pipe()
    writer = FrameWriter(write_end)
    writer.write_bytes(b"x" * 500)
    writer.write_json({"id": 7, "op": "status"})
    os.close(write_end)
    reader = FrameReader(read_end)
    first = reader.read_frame()
    assert isinstance(first, OversizedFrame) and first.length == 500
    assert json.loads(reader.read_frame()) == {"id": 7, "op": "status"}
    assert reader.read_frame() is None
    os.close(read_end)


@pytest.mark.parametrize("size, oversized", [(63, False), (64, False), (65, True)])
def test_a_frame_of_exactly_the_limit_is_read_and_one_byte_more_is_dropped(monkeypatch, size, oversized):
    # The host takes the same sizes (frame-codec.ts: a frame above MAX_FRAME_BYTES is refused).
    monkeypatch.setattr(framing, "MAX_FRAME_BYTES", 64)
    read_end, write_end = os.pipe()
    FrameWriter(write_end).write_bytes(b"x" * size)
    os.close(write_end)
    reader = FrameReader(read_end)
    frame = reader.read_frame()
    if oversized:
        assert isinstance(frame, OversizedFrame) and frame.length == size
    else:
        assert frame == b"x" * size
    assert reader.read_frame() is None
    os.close(read_end)


@pytest.mark.parametrize("tail, ends_cleanly", [(b"", True), (b"\x05\x00", False)])
def test_an_empty_frame_is_a_frame_and_a_stream_cut_inside_a_header_is_an_error(tail, ends_cleanly):
    # An empty frame is its 4-byte header alone: read at exactly 4 bytes, not waited on for more.
    read_end, write_end = os.pipe()
    FrameWriter(write_end).write_bytes(b"")
    if tail:
        os.write(write_end, tail)
    os.close(write_end)
    reader = FrameReader(read_end)
    assert reader.read_frame() == b""
    if ends_cleanly:
        assert reader.read_frame() is None
    else:
        with pytest.raises(framing.FrameError):
            reader.read_frame()
    os.close(read_end)


REPLY = {"id": 3, "tokens": [1, 2, 3, 4]}
REPLY_BYTES = len(b'{"id":3,"tokens":[1,2,3,4]}')  # the compact JSON the runtime writes


@pytest.mark.parametrize("limit, refused", [(REPLY_BYTES - 1, True), (REPLY_BYTES, False)])
def test_a_reply_above_the_frame_limit_is_replaced_by_an_error_under_its_id(monkeypatch, limit, refused):
    from pie_trtllm_runtime import server as server_module

    monkeypatch.setattr(server_module, "MAX_FRAME_BYTES", limit)
    monkeypatch.setattr(Server, "reply_to", lambda self, payload: REPLY)
    read_end, write_end = os.pipe()
    Server(engine(), {}, None, FrameWriter(write_end))._answer(b"")
    os.close(write_end)
    reply = json.loads(FrameReader(read_end).read_frame())
    os.close(read_end)
    if refused:
        assert reply["id"] == 3 and reply["error"]["code"] == codes.ENGINE_ERROR
        assert reply["error"]["message"] == "the reply is %d bytes, above the %d-byte frame limit; send fewer requests at once" % (REPLY_BYTES, limit)
    else:
        assert reply == REPLY


def test_the_runtime_process_survives_every_hostile_message_and_serves_after():
    runtime = RuntimeProcess()
    try:
        deep_sampler = {"type": "top_p", "temperature": 0, "p": 1, "extra": json.loads(nested(900))}
        reply = runtime.call({"op": "forward", "batch": batch([(1, [1], 0, deep_sampler), (2, [2], 0, GREEDY)])})
        assert reply["results"][0]["error"]["code"] == codes.INVALID_REQUEST
        assert reply["results"][1] == greedy_continuation([2], 1)
        # A message nested past what JSON parsing allows: one INVALID_REQUEST, id unknown.
        runtime.writer.write_bytes(b'{"id": 99, "op": "forward", "batch": ' + nested(5000).encode() + b"}")
        reply = json.loads(runtime.reader.read_frame())
        assert reply["id"] is None and reply["error"]["code"] == codes.INVALID_REQUEST
        for _ in range(5):  # five such lines once gave a replica up for good
            runtime.writer.write_bytes(b'{"id": 1, "op": "forward", "batch": {"samplers": ' + nested(3000).encode() + b"}}")
            assert json.loads(runtime.reader.read_frame())["error"]["code"] == codes.INVALID_REQUEST
        reply = runtime.call({"op": "forward", "batch": batch([(3, [5, 6], 0, GREEDY)])})
        assert reply["results"] == [greedy_continuation([5, 6], 1)]
        assert runtime.process.poll() is None
        runtime.call({"op": "shutdown"})
    finally:
        runtime.close()


def answers(reply):
    """A forward reply's results: columns of one token each when every request got one (DESIGN §4)."""
    if "tokens" in reply:
        return [[t] for t in array("I", base64.b64decode(reply["tokens"])).tolist()]
    return reply["results"]


@pytest.mark.parametrize("options", [
    {"lookahead_tokens": 1},
    {"lookahead_tokens": 16},
    {"lookahead_tokens": 4, "lookahead_mode": "window"},
    {"lookahead_tokens": 16, "lookahead_mode": "window"},
], ids=["off", "stream", "window 4", "window 16"])
def test_a_batch_that_evicts_its_own_members_is_served_whole_in_every_mode(options):
    # 100 new contexts where 10 fit: the first 90 are evicted by later members of the same batch,
    # after their requests were taken. Each is served as with lookahead off.
    e = engine(max_session_histories=10, **options)
    server = Server(e, {}, None, None)

    def send(message_id, requests):
        return server.handle(json.dumps({"id": message_id, "op": "forward", "batch": batch(requests)}).encode())

    prompts = [[i % 97 + 1, i % 13 + 2, i + 3] for i in range(100)]
    reply = send(1, [(100 + i, p, 0, GREEDY) for i, p in enumerate(prompts)])
    assert answers(reply) == [greedy_continuation(p, 1) for p in prompts]
    assert sorted(reply["evicted"]) == list(range(100, 190))
    # The ten survivors decode on; an evicted one needs its prefix again, with a code that says so.
    reply = send(2, [(100 + i, [greedy_continuation(p, 1)[0]], 3, GREEDY) for i, p in enumerate(prompts) if i >= 90])
    assert answers(reply) == [greedy_continuation(p, 2)[1:] for p in prompts[90:]]
    gone = send(3, [(100, [greedy_continuation(prompts[0], 1)[0]], 3, GREEDY)])
    assert gone["results"][0]["error"]["code"] == codes.MISSING_REPLAY_PREFIX
