"""The simulated engine's iteration clock: how long one iteration of in-flight batching takes.

On a GPU every iteration of TensorRT-LLM's executor costs time, mostly a constant (the weights are
read once per iteration) plus a little per request in the batch. The benchmark sets both through
the environment; tests leave them at zero, and then the engine is infinitely fast: a request is
computed to its end when it is submitted (its responses are still delivered one iteration at a
time, as a stream)."""

import os

ITERATION_MS = "PIE_TRTLLM_SIMULATE_ITERATION_MS"
PER_REQUEST_US = "PIE_TRTLLM_SIMULATE_ITERATION_PER_REQUEST_US"


class IterationClock:
    __slots__ = ("constant_s", "per_request_s")

    def __init__(self, constant_s=0.0, per_request_s=0.0):
        if not (constant_s >= 0 and per_request_s >= 0):
            raise ValueError("iteration times must be non-negative, got %r and %r" % (constant_s, per_request_s))
        self.constant_s = constant_s
        self.per_request_s = per_request_s

    @property
    def running(self):
        """False when iterations take no time (the clock is off)."""
        return self.constant_s > 0 or self.per_request_s > 0

    def iteration_s(self, requests):
        return self.constant_s + self.per_request_s * requests

    @classmethod
    def from_environment(cls):
        def number(name):
            text = os.environ.get(name, "") or "0"
            try:
                value = float(text)
            except ValueError:
                raise ValueError("%s must be a number, got %r" % (name, text))
            if not value >= 0 or value == float("inf"):
                raise ValueError("%s must be a finite number >= 0, got %r" % (name, text))
            return value

        return cls(number(ITERATION_MS) / 1000.0, number(PER_REQUEST_US) / 1e6)
