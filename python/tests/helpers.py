"""Builders for Pie-shaped batches and a simulated engine, shared by the tests."""

import logging
import os

from hypothesis import strategies as st

from pie_trtllm_runtime.loader import load_engine

GREEDY = {"type": "top_p", "temperature": 0, "p": 1}


def greedy_next(history):
    """DESIGN §3.6, PIE_TRTLLM_SIMULATE_RULE=prompt: every token of the prompt counts."""
    weighted = sum((i + 1) * token for i, token in enumerate(history))
    return (31 * history[-1] + 7 * len(history) + 1 + weighted) % 32000


def greedy_continuation(prompt, n):
    history = list(prompt)
    out = []
    for _ in range(n):
        token = greedy_next(history)
        out.append(token)
        history.append(token)
    return out


# Lookahead settings the random checks run under: off, streams with windows short enough to be
# continued within a test (and one of 2, the least), the default, and Pie's whole windows.
LOOKAHEAD_OPTIONS = st.sampled_from([
    {"lookahead_tokens": 1},
    {"lookahead_tokens": 4, "lookahead_stream_tokens": 3},
    {"lookahead_tokens": 2, "lookahead_stream_tokens": 2},
    {"lookahead_tokens": 16},
    {"lookahead_tokens": 4, "lookahead_mode": "window"},
])

class EngineClock:
    """Turns the simulated engine's iteration clock on for the engines built inside the block."""

    def __init__(self, iteration_ms):
        self.iteration_ms = iteration_ms

    def __enter__(self):
        self.before = os.environ.get("PIE_TRTLLM_SIMULATE_ITERATION_MS")
        os.environ["PIE_TRTLLM_SIMULATE_ITERATION_MS"] = str(self.iteration_ms)

    def __exit__(self, *exc):
        if self.before is None:
            os.environ.pop("PIE_TRTLLM_SIMULATE_ITERATION_MS", None)
        else:
            os.environ["PIE_TRTLLM_SIMULATE_ITERATION_MS"] = self.before
        return False


OPEN_ENGINES = []  # shut down after each test (conftest), so no engine thread outlives its test


def engine(**options):
    built = load_engine({"driver": {"options": options, "random_seed": 42}, "model": {"hf_repo": "sim"}, "simulate": True})
    OPEN_ENGINES.append(built)
    return built


def shut_down(built):
    built.shutdown()
    if built in OPEN_ENGINES:
        OPEN_ENGINES.remove(built)


def shut_down_all():
    while OPEN_ENGINES:
        OPEN_ENGINES.pop().shutdown()


def trtllm_sampler_engine(**options):
    """An engine whose TensorRT-LLM sampler honours per-request seeds and min_p."""
    return engine(llm_kwargs={"sampler_type": "TRTLLMSampler"}, **options)


def batch(requests, **extra):
    """requests: (context_id, tokens, start_position, sampler or None)."""
    out = {"token_ids": [], "position_ids": [], "qo_indptr": [0], "context_ids": [], "samplers": [], "sampler_indptr": [0]}
    for context_id, tokens, start, sampler in requests:
        out["token_ids"] += tokens
        out["position_ids"] += list(range(start, start + len(tokens)))
        out["qo_indptr"].append(len(out["token_ids"]))
        out["context_ids"].append(context_id)
        if sampler is not None:
            out["samplers"].append(sampler)
        out["sampler_indptr"].append(len(out["samplers"]))
    out.update(extra)
    return out


class LoggedErrors(logging.Handler):
    """Errors the runtime logged. Random-program checks fail on any: a bug that a guard catches
    (the server survives it and takes the plain path) is still a bug."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def messages(self):
        return [record.getMessage() for record in self.records]


LOGGED_ERRORS = LoggedErrors()
logging.getLogger("pie_trtllm_runtime").addHandler(LOGGED_ERRORS)
