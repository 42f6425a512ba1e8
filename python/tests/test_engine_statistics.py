"""What `status` reports for metrics: tokens the engine made that no program took, and the KV
cache's blocks from TensorRT-LLM's iteration statistics (LLM.get_stats)."""

import time

import pytest
from helpers import GREEDY, batch, engine, greedy_continuation

from pie_trtllm_runtime.batch import parse_batch
from pie_trtllm_runtime.simulated_trtllm.iteration_stats import SIMULATED_KV_TOKENS


def run(e, requests):
    return e.forward(parse_batch(batch(requests)))


def decode(e, context_id, prompt, steps):
    tokens = [run(e, [(context_id, prompt, 0, GREEDY)])[0][0]]
    for step in range(1, steps):
        tokens.append(run(e, [(context_id, [tokens[-1]], len(prompt) + step - 1, GREEDY)])[0][0])
    return tokens


def test_a_released_stream_wastes_what_its_program_did_not_take():
    # One stream request of lookahead_stream_tokens (32) tokens; the program took 5 of them.
    e = engine(lookahead_stream_tokens=32, lookahead_tokens=4)
    assert decode(e, 1, [5, 6], 5) == greedy_continuation([5, 6], 5)
    e.requests.idle()
    assert (e.engine_tokens, e.engine_tokens_wasted) == (32, 0)  # untaken, not wasted while it lives
    e.release([1])
    e.requests.idle()
    assert e.engine_tokens_wasted == 32 - 5


def test_a_divergent_token_wastes_the_rest_of_the_stream_once():
    e = engine(lookahead_stream_tokens=8, lookahead_tokens=2)
    first = run(e, [(1, [10, 11, 12], 0, GREEDY)])[0][0]
    e.requests.idle()
    run(e, [(1, [first + 1], 3, GREEDY)])  # the program writes its own token: the stream is left
    e.requests.idle()
    assert e.engine_tokens_wasted == 8 - 1
    # The program left its stream after 1 token: its next stream's first request asks for 2 (the
    # least), so releasing it (2 made, 1 taken) wastes 1.
    e.release([1])
    e.requests.idle()
    assert e.engine_tokens_wasted == (8 - 1) + (2 - 1)
    e.release([1])  # released twice: counted once
    e.requests.idle()
    assert e.engine_tokens_wasted == 8


def test_a_stream_taken_to_its_last_token_wastes_nothing():
    e = engine(lookahead_stream_tokens=4, lookahead_tokens=1)  # off: one token per request
    decode(e, 1, [7], 6)
    e.release([1])
    e.requests.idle()
    assert e.engine_tokens_wasted == 0


def test_no_kv_cache_figures_without_iteration_statistics():
    e = engine()
    decode(e, 1, [1, 2, 3], 2)
    assert e.kv_cache() is None


def test_kv_cache_figures_come_from_the_latest_iteration():
    # 40 prompt tokens and a stream of 32 made: 72 tokens fill ceil(72 / 32) = 3 blocks of the
    # simulated cache's 2^20 / 32 = 32768 (iteration_stats: tokens_per_block 32 by default).
    e = engine(lookahead_stream_tokens=32, llm_kwargs={"enable_iter_perf_stats": True})
    assert e.kv_cache() is None  # no request yet: 1.2.1's get_stats has nothing to give
    run(e, [(1, list(range(1, 41)), 0, GREEDY)])
    e.requests.idle()
    blocks = SIMULATED_KV_TOKENS // 32
    assert e.kv_cache() == {"used_blocks": 3, "free_blocks": blocks - 3, "max_blocks": blocks, "tokens_per_block": 32}
    # Drained, and no request since: 1.2.1 returns nothing new, the last figures stay.
    assert e.kv_cache() == {"used_blocks": 3, "free_blocks": blocks - 3, "max_blocks": blocks, "tokens_per_block": 32}


def test_kv_cache_figures_follow_the_configured_blocks():
    # kv_cache_config max_tokens 3200 in blocks of 64: 50 blocks; 72 tokens fill 2.
    e = engine(lookahead_stream_tokens=32, llm_kwargs={"enable_iter_perf_stats": True, "kv_cache_config": {"max_tokens": 3200, "tokens_per_block": 64}})
    run(e, [(1, list(range(1, 41)), 0, GREEDY)])
    e.requests.idle()
    assert e.kv_cache() == {"used_blocks": 2, "free_blocks": 48, "max_blocks": 50, "tokens_per_block": 64}


@pytest.mark.parametrize("entry", [
    {"kvCacheStats": {"usedNumBlocks": -1, "freeNumBlocks": 1, "maxNumBlocks": 1, "tokensPerBlock": 32}},
    {"kvCacheStats": {"usedNumBlocks": True, "freeNumBlocks": 1, "maxNumBlocks": 1, "tokensPerBlock": 32}},
    {"kvCacheStats": {"usedNumBlocks": 1.5, "freeNumBlocks": 1, "maxNumBlocks": 1, "tokensPerBlock": 32}},
    {"kvCacheStats": {"freeNumBlocks": 1, "maxNumBlocks": 1, "tokensPerBlock": 32}},
    {"kvCacheStats": None},
    "not a dict",
])
def test_malformed_statistics_keep_the_last_good_figures(entry):
    e = engine(llm_kwargs={"enable_iter_perf_stats": True})
    run(e, [(1, [1, 2, 3], 0, GREEDY)])
    good = e.kv_cache()
    assert good is not None
    e.llm.get_stats = lambda timeout: [entry]
    assert e.kv_cache() == good


def test_get_stats_failing_keeps_the_status_alive():
    e = engine(llm_kwargs={"enable_iter_perf_stats": True})
    run(e, [(1, [1, 2, 3], 0, GREEDY)])

    def broken(timeout):
        raise RuntimeError("the executor is gone")

    good = e.kv_cache()
    e.llm.get_stats = broken
    assert e.kv_cache() == good


def test_statistics_are_drained_every_second_whether_or_not_anyone_asks(monkeypatch):
    # 1.2.1 queues an entry per iteration until get_stats drains it: the runtime drains them itself.
    from pie_trtllm_runtime import iteration_stats_drain

    monkeypatch.setattr(iteration_stats_drain, "DRAIN_EVERY_S", 0.05)
    e = engine(lookahead_stream_tokens=32, llm_kwargs={"enable_iter_perf_stats": True})
    run(e, [(1, list(range(1, 41)), 0, GREEDY)])
    e.requests.idle()
    queued = e.llm._iteration_statistics._entries
    deadline = time.monotonic() + 5
    while queued and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not queued  # drained without a status call
    assert e.kv_cache()["used_blocks"] == 3  # and the figures kept
