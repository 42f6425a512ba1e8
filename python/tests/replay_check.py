"""Random request sequences against the reference model (reference_model.py): the check the
property test and the planted-mutation test share."""

import base64
import json
from array import array

from hypothesis import strategies as st

from helpers import LOGGED_ERRORS, GREEDY, batch, engine, shut_down
from pie_trtllm_runtime.server import Server
from reference_model import ReferenceReplay

CONTEXTS = st.integers(1, 5)
TOKEN = st.integers(0, 31999)

OP = st.one_of(
    st.tuples(st.just("extend"), CONTEXTS, st.integers(1, 4), st.booleans(), st.lists(TOKEN, min_size=4, max_size=4)),
    st.tuples(st.just("restart"), CONTEXTS, st.integers(1, 4), st.booleans(), st.lists(TOKEN, min_size=4, max_size=4)),  # from position 0
    st.tuples(st.just("again"), CONTEXTS, st.integers(0, 60)),                 # a known token re-sent at an earlier position
    st.tuples(st.just("diverge"), CONTEXTS, st.integers(0, 60), TOKEN),        # a different token at a known position
    st.tuples(st.just("gap"), CONTEXTS, st.integers(1, 5)),
    st.tuples(st.just("fork"), CONTEXTS, CONTEXTS, st.sampled_from(["exact", "shorter", "beyond", "zero"])),
    st.tuples(st.just("release"), CONTEXTS),
    st.tuples(st.just("decode"), st.lists(CONTEXTS, min_size=1, max_size=5, unique=True)),
)
PROGRAMS = st.lists(st.lists(OP, min_size=1, max_size=3), min_size=1, max_size=25)

# Edges random programs reach rarely, always run: a context evicted and re-created within one batch;
# a fork at exactly the parent's written length and one past it; the same token asked again
# mid-history, then continued.
EDGE_PROGRAMS = [
    ([[("extend", 1, 2, True, [5, 6, 7, 8])], [("extend", 2, 2, True, [9, 9, 9, 9])],
      [("extend", 3, 1, True, [4, 4, 4, 4]), ("restart", 1, 2, True, [5, 6, 7, 8])], [("extend", 1, 1, True, [1, 1, 1, 1])]],
     {"lookahead_tokens": 16}, 2),
    ([[("extend", 1, 4, True, [3, 1, 4, 1])], [("fork", 1, 2, "exact")], [("fork", 1, 3, "beyond")],
      [("extend", 2, 1, True, [9, 9, 9, 9])], [("extend", 1, 1, True, [2, 2, 2, 2])]], {"lookahead_tokens": 16}, 100),
    ([[("extend", 1, 4, False, [3, 1, 4, 1])], [("extend", 1, 4, False, [5, 9, 2, 6])], [("again", 1, 2)],
      [("extend", 1, 1, True, [5, 5, 5, 5])]], {"lookahead_tokens": 1}, 100),
]


class Run:
    def __init__(self, options, bound):
        self.server = Server(engine(max_session_histories=bound, **options), {}, None, None)
        self.reference = ReferenceReplay(bound)
        LOGGED_ERRORS.records.clear()
        self.next_id = 0

    def send(self, message):
        self.next_id += 1
        reply = self.server.handle(json.dumps(dict(message, id=self.next_id)).encode())
        self.server.settle()
        assert sorted(reply.get("evicted", [])) == sorted(self.reference.drain_evicted()), "evictions differ"
        return reply

    def forward(self, requests):
        """requests: (context, start, tokens, sampled); compared with the reference model."""
        want = self.reference.batch([(c, list(range(p, p + len(t))), t, s) for c, p, t, s in requests])
        reply = self.send({"op": "forward", "batch": batch([(c, t, p, GREEDY if s else None) for c, p, t, s in requests])})
        if "tokens" in reply:
            got = [[t] for t in array("I", base64.b64decode(reply["tokens"])).tolist()]
        else:
            got = [r["error"]["code"] if isinstance(r, dict) else r for r in reply["results"]]
        assert got == want, (requests, got, want)

    def written(self, context):
        return self.reference.histories.get(context) or []

    def same_state(self):
        self.server.catch_up()  # steps answered ahead are recorded when their chain ends
        assert not LOGGED_ERRORS.records, LOGGED_ERRORS.messages()
        histories = self.server.engine.histories
        assert list(histories.contexts) == list(self.reference.histories), "contexts or their LRU order differ"
        for context_id, written in self.reference.histories.items():
            context = histories.get(context_id)
            assert context.tokens[:context.confirmed] == written, ("history differs", context_id)


def run_program(program, options, bound):
    """Runs the program against the reference model; what the simulated engine counted."""
    run = Run(options, bound)
    try:
        _run_steps(run, program)
        return run.server.engine.engine_statistics()
    finally:
        shut_down(run.server.engine)


def _run_steps(run, program):
    for step in program:
        requests = []
        for op in step:
            kind = op[0]
            if kind == "extend":
                _, c, n, sampled, tokens = op
                requests.append((c, len(run.written(c)), tokens[:n], sampled))
            elif kind == "restart":
                _, c, n, sampled, tokens = op
                requests.append((c, 0, tokens[:n], sampled))
            elif kind == "again":
                _, c, p = op
                written = run.written(c)
                if written:
                    p %= len(written)
                    requests.append((c, p, [written[p]], True))
            elif kind == "diverge":
                _, c, p, token = op
                written = run.written(c)
                if written:
                    p %= len(written)
                    requests.append((c, p, [token], True))
            elif kind == "gap":
                _, c, skip = op
                requests.append((c, len(run.written(c)) + skip, [7], True))
            elif kind == "decode":
                # The driver's plain decode step: one token per distinct context, greedy, where a
                # decode loop would be (the last written token again, at its position).
                step_requests = [(c, len(run.written(c)) - 1, [run.written(c)[-1]], True) for c in op[1] if run.written(c)]
                if step_requests:
                    run.forward(step_requests)
                continue
            elif kind in ("fork", "release"):
                if requests:
                    run.forward(requests)
                    requests = []
                if kind == "release":
                    run.reference.release([op[1]])
                    run.send({"op": "release", "context_ids": [op[1]]})
                else:
                    _, parent, child, mode = op
                    known = len(run.written(parent))
                    length = {"exact": known, "shorter": max(known - 1, 0), "beyond": known + 1, "zero": 0}[mode]
                    want = run.reference.fork(parent, child, length)
                    reply = run.send({"op": "fork", "parent": parent, "child": child, "length": length})
                    got = reply.get("error", {}).get("code") if "error" in reply else None
                    assert got == want, ("fork", parent, child, length, got, want)
                continue
        if requests:
            run.forward(requests)
    run.same_state()
