"""The request loop: one framed JSON message in, one framed JSON reply out, for every op.

No request can stop the loop: a malformed message gets an INVALID_REQUEST reply, an engine failure
an ENGINE_ERROR for the requests it touched."""

import json
import logging
import os
import time

from .batch import BatchError, decode_columns, parse_batch, unpacked
from .codes import ENGINE_ERROR, INVALID_REQUEST, RequestError
from .framing import MAX_FRAME_BYTES, OversizedFrame
from .json_safe import MAX_SAFE_INTEGER
from .shown import shown
from .next_decode_step import DecodeChain
from .packing import pack_u32
from .step_trace import step_trace_from_environment

# Replies to batches of at least this many requests may come packed (see `_forward`).
PACK_FROM_RESULTS = 32

log = logging.getLogger("pie_trtllm_runtime.server")


def _error(message_id, code, message):
    return {"id": message_id, "error": {"code": code, "message": message}}


def _valid_id(value):
    return value is None or (type(value) is int and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER)


def _single_tokens(results):
    """The one token of each result, or None unless every request got exactly one token."""
    flat = []
    for result in results:
        if type(result) is not list or len(result) != 1:
            return None
        flat.append(result[0])
    return flat


def _tokens_reply(tokens):
    """One token per request: a large batch's answer travels as one packed array."""
    if len(tokens) >= PACK_FROM_RESULTS:
        return {"tokens": pack_u32(tokens)}
    return {"results": [[token] for token in tokens]}


def _resident_bytes():
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class Server:
    def __init__(self, engine, capabilities, reader, writer):
        self.engine = engine
        self.capabilities = capabilities
        self.reader = reader
        self.writer = writer
        self.running = True
        self._chain = None  # the DecodeChain the last reply makes likely
        self._after_reply = None  # work that may wait until the reply is written
        self.anticipated_steps = 0
        self.trace = step_trace_from_environment()
        self._op = None  # the op of the message last handled, for the trace
        self._ops = {
            "forward": self._forward,
            "release": self._release,
            "fork": self._fork,
            "capabilities": lambda message: {"capabilities": self.capabilities},
            "status": lambda message: {"status": self.status()},
            "shutdown": self._shutdown,
        }

    def serve(self):
        try:
            if self.trace is None:
                while self.running and self._serve_one():
                    pass
            else:
                self._serve_traced()
        finally:
            if self.trace is not None:
                self.trace.write()

    def _serve_one(self):
        payload = self.reader.read_frame()
        if payload is None:
            log.info("request channel closed; shutting down")
            return False
        self._answer(payload)
        self.settle()
        return True

    def _answer(self, payload):
        reply = self.reply_to(payload)
        try:
            data = json.dumps(reply, separators=(",", ":"))
        except Exception as error:  # a reply that cannot be encoded is answered with why
            log.exception("a reply could not be encoded")
            data = json.dumps(_error(None, ENGINE_ERROR, "the reply could not be encoded: %s: %s" % (type(error).__name__, shown(str(error)))))
        encoded = data.encode("utf-8")
        if len(encoded) > MAX_FRAME_BYTES:
            # The host reads no frame above the limit: say so under the request's id instead.
            reply_id = reply.get("id") if isinstance(reply, dict) else None
            message = "the reply is %d bytes, above the %d-byte frame limit; send fewer requests at once" % (len(encoded), MAX_FRAME_BYTES)
            encoded = json.dumps(_error(reply_id, ENGINE_ERROR, message)).encode("utf-8")
        self.writer.write_bytes(encoded)

    def _serve_traced(self):
        """The same loop, timing each message's phases (see `step_trace`)."""
        trace, clock = self.trace, time.monotonic_ns  # CLOCK_MONOTONIC, as Node's process.hrtime
        while self.running:
            started, sleeps, calls = clock(), self.reader.sleeps, self.engine.engine_calls
            gc_before, ahead = trace.gc_ns(), self.anticipated_steps
            payload = self.reader.read_frame()
            if payload is None:
                log.info("request channel closed; shutting down")
                return
            received = clock()
            self._op = None
            self._answer(payload)
            replied = clock()
            self.settle()
            trace.record(self._op, received, received - started, self.reader.sleeps - sleeps, replied - received, clock() - replied,
                         self.engine.engine_calls - calls, self.anticipated_steps != ahead, trace.gc_ns() - gc_before)

    def settle(self):
        """Does the work a reply left for after its write: records an anticipated step's answer
        and anticipates the next one. `handle` calls it first, so it is never skipped."""
        work, self._after_reply = self._after_reply, None
        if work is None:
            return
        try:
            self._chain = work()
        except Exception:  # a bug here must not end the runtime; the next step takes the plain path
            log.exception("anticipating the next decode step failed")
            self._chain = None

    def catch_up(self):
        """Records every step answered ahead so far, so the histories show all that was answered
        (for inspection; the next step then takes the plain path)."""
        self.settle()
        chain, self._chain = self._chain, None
        if chain is not None:
            self._end(chain)

    def _continue(self, chain):
        """After an anticipated step: the chain, while it expects another step; else ended."""
        try:
            if chain.answered():
                return chain
        except Exception:
            log.exception("anticipating the next decode step failed")
        self._end(chain)
        return None

    @staticmethod
    def _expected_step(chain, batch):
        try:
            return chain.matches(batch)
        except RecursionError:  # a batch nested too deep is not the expected one; the plain path says why
            return False

    def _end(self, chain):
        """Records the steps the chain answered; any message but its expected step comes after."""
        try:
            chain.end()
        except Exception:  # the histories may now lag; later requests are checked against them as ever
            log.exception("recording the anticipated decode steps failed")

    def reply_to(self, payload):
        """`handle`, for a payload straight off the wire: whatever comes, one reply that encodes."""
        if isinstance(payload, OversizedFrame):
            self.settle()
            chain, self._chain = self._chain, None
            if chain is not None:
                self._end(chain)
            return _error(None, INVALID_REQUEST, "a frame of %d bytes is above the %d-byte limit; it was dropped unread" % (payload.length, MAX_FRAME_BYTES))
        try:
            return self.handle(payload)
        except Exception as error:  # RecursionError, MemoryError's kin: this message fails, serving goes on
            log.exception("a message could not be answered")
            return _error(None, INVALID_REQUEST, "the message could not be answered: %s: %s" % (type(error).__name__, shown(str(error))))

    def handle(self, payload):
        self.settle()
        chain, self._chain = self._chain, None
        message, failure = self._parse(payload)
        if chain is not None:
            if failure is None and message.get("op") == "forward" and self._expected_step(chain, message.get("batch")):
                self._after_reply = lambda: self._continue(chain)
                self.anticipated_steps += 1
                return dict(chain.reply, id=message.get("id"))
            if failure is None and message.get("op") == "status":
                # A status reads counters and changes nothing: the decode loop's chain stays, and
                # the status counts the steps it answered (a metrics scrape costs no decode step).
                self._chain = chain
                return {"status": self.status(), "id": message.get("id")}
            self._end(chain)
        if failure is not None:
            return failure
        message_id = message.get("id")
        handler = self._ops.get(message.get("op"))
        if handler is None:
            return _error(message_id, INVALID_REQUEST, "unknown op %s; expected one of %s" % (shown(message.get("op")), ", ".join(sorted(self._ops))))
        try:
            reply = handler(message)
        except RequestError as error:
            return _error(message_id, error.code, error.message)
        except Exception as error:  # a bug here must not end the runtime
            log.exception("op %s failed", shown(message.get("op")))
            return _error(message_id, ENGINE_ERROR, "%s failed: %s: %s" % (message.get("op"), type(error).__name__, error))
        evicted = self.engine.histories.drain_evicted()
        if evicted:
            reply["evicted"] = evicted  # the driver forgets them as well
        reply["id"] = message_id
        return reply

    def _parse(self, payload):
        """(message, None) for a JSON object with a valid id, else (None, the error reply)."""
        try:
            message = json.loads(payload)
        except (ValueError, RecursionError) as error:
            return None, _error(None, INVALID_REQUEST, "the message is not JSON, or nests too deep: %s" % shown(str(error)))
        if not isinstance(message, dict):
            return None, _error(None, INVALID_REQUEST, "a message must be a JSON object")
        message_id = message.get("id")
        self._op = message.get("op")
        if not _valid_id(message_id):
            return None, _error(None, INVALID_REQUEST, "'id' must be an integer of at most 53 bits, found %s" % shown(message_id))
        return message, None

    def _forward(self, message):
        columns = requests = None
        try:
            raw = message.get("batch")
            batch = unpacked(raw)
            columns = decode_columns(batch, unsigned=batch is not raw)
            if columns is None:
                requests = parse_batch(batch)
        except BatchError as error:
            if error.size is None:
                raise RequestError(INVALID_REQUEST, error.message)
            failure = RequestError(INVALID_REQUEST, error.message)
            requests = [failure] * error.size
        try:
            results = self.engine.decode_step(*columns) if columns is not None else self.engine.forward(requests)
        except Exception as error:
            log.exception("forward failed")
            failure = RequestError(ENGINE_ERROR, "forward failed: %s: %s" % (type(error).__name__, error))
            results = [failure] * (len(columns[0]) if columns is not None else len(requests))
        flat = _single_tokens(results)
        if flat is None:
            return {"results": [r.to_wire() if isinstance(r, RequestError) else r for r in results]}
        reply = _tokens_reply(flat)
        if columns is not None:
            context_ids, _tokens, positions, sampler = columns
            self._after_reply = lambda: DecodeChain.after(self.engine, raw, context_ids, positions, flat, _tokens_reply, sampler)
        return reply

    def _release(self, message):
        ids = message.get("context_ids")
        if not isinstance(ids, list) or any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
            raise RequestError(INVALID_REQUEST, "release needs 'context_ids', an array of integers")
        return {"ok": True, "released": self.engine.release(ids)}

    def _fork(self, message):
        parent, child = message.get("parent"), message.get("child")
        for name, value in (("parent", parent), ("child", child)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise RequestError(INVALID_REQUEST, "fork needs an integer %r context id" % name)
        self.engine.fork(parent, child, message.get("length"))
        return {"ok": True}

    def _shutdown(self, message):
        self.running = False
        self.engine.shutdown()
        return {"ok": True}

    def status(self):
        engine = self.engine
        statistics = engine.engine_statistics
        chain = self._chain
        # Steps a chain answered are recorded when it ends: counted here as the engine will count them.
        ahead, ahead_sampled = (0, 0) if chain is None else chain.unrecorded_hits()
        return {
            "pid": os.getpid(),
            "engine": {"name": engine.engine_name, "version": engine.engine_version},
            "engine_calls": engine.engine_calls,
            "engine_tokens": engine.engine_tokens,
            "engine_tokens_wasted": engine.engine_tokens_wasted,
            "kv_cache": engine.kv_cache(),
            "tokens_generated": engine.tokens_returned + ahead,
            "lookahead_hits": engine.lookahead_hits + ahead,
            "stream_waits": engine.stream_waits,
            "streams_started": engine.streams_started,
            "sampling_hits": engine.sampling_hits + ahead_sampled,
            "sampling_waits": engine.sampling_waits,
            "sampling_streams_started": engine.sampling_streams_started,
            "execution_mode": "pyexecutor" if engine.policy.pyexecutor else "generate",
            "continuations": engine.requests.continuations,
            "lookahead_mode": engine.policy.mode,
            "anticipated_steps": self.anticipated_steps,
            "world_size": engine.world_size,
            "contexts": len(engine.histories),
            "evictions": engine.histories.evictions,
            "resident_bytes": _resident_bytes(),
            "simulated_engine": None if statistics is None else statistics(),
        }
