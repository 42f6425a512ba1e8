"""Per-message timings, for finding where slow decode steps go (`PIE_TRTLLM_STEP_TRACE`).

When the variable names a file, the server records for every message: how long it waited for the
message and whether the reader fell asleep (spin budget spent), how long the reply took, how long
the work left for after the write took, whether the answer was given ahead, how many engine calls
it made, and how long Python's garbage collector ran meanwhile. The rows are written as JSON lines
when the request channel closes or `shutdown` comes. Off by default: no cost when unset."""

import gc
import json
import os
import time


class StepTrace:
    def __init__(self, path):
        self.path = path
        self.rows = []
        self._gc_ns = 0
        self._gc_started = 0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase, info):
        if phase == "start":
            self._gc_started = time.perf_counter_ns()
        else:
            self._gc_ns += time.perf_counter_ns() - self._gc_started

    def gc_ns(self):
        return self._gc_ns

    def record(self, op, received_at_ns, waited_ns, slept, replied_ns, settled_ns, engine_calls, anticipated, gc_ns):
        self.rows.append((op, received_at_ns, waited_ns, slept, replied_ns, settled_ns, engine_calls, anticipated, gc_ns))

    def write(self):
        keys = ("op", "received_at_ns", "wait_us", "slept", "reply_us", "after_reply_us", "engine_calls", "anticipated", "gc_us")
        with open(self.path, "w") as handle:
            for op, received_at, waited, slept, replied, settled, calls, anticipated, gc_ns in self.rows:
                values = (op, received_at, waited / 1000, slept, replied / 1000, settled / 1000, calls, anticipated, gc_ns / 1000)
                handle.write(json.dumps(dict(zip(keys, values))) + "\n")
        self.rows = []


def step_trace_from_environment():
    path = os.environ.get("PIE_TRTLLM_STEP_TRACE")
    return StepTrace(path) if path else None
