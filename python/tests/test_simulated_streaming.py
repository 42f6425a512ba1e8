"""The simulated engine's clock and streaming, as TensorRT-LLM 1.2.1 behaves (DESIGN §3.6, and the
project's reference notes on 1.2.x streaming, which cite executor/result.py @ a678b91a,
executor/proxy.py @ b93e14ca and llmapi/utils.py @ cc4777e9). Times are counted in iterations of
a slow clock (40 ms) so scheduling noise cannot move a response by a whole iteration."""

import asyncio
import time
import warnings

import pytest

from helpers import greedy_continuation
from pie_trtllm_runtime import simulated_trtllm as trt
from pie_trtllm_runtime.simulated_trtllm.iteration_clock import IterationClock

ITERATION_MS = 40


@pytest.fixture
def clocked(monkeypatch):
    monkeypatch.setenv("PIE_TRTLLM_SIMULATE_ITERATION_MS", str(ITERATION_MS))
    made = []

    def build(**kwargs):
        llm = trt.LLM("m", skip_tokenizer_init=True, **kwargs)
        made.append(llm)
        return llm

    yield build
    for llm in made:
        llm.shutdown()


def params(n):
    return trt.SamplingParams(max_tokens=n, end_id=2, ignore_eos=True, temperature=0.0, detokenize=False)


async def arrivals(result):
    """(iterations since the first response, tokens it brought, finished, finish reason) per response."""
    seen, first = [], None
    async for output in result:
        now = time.monotonic()
        first = now if first is None else first
        completion = output.outputs[0]
        seen.append((round((now - first) * 1000 / ITERATION_MS), list(completion.token_ids_diff), output.finished, completion.finish_reason))
    return seen


def test_a_stream_brings_one_token_an_iteration_cumulatively_and_ends_with_its_reason(clocked):
    llm = clocked()

    async def run():
        started = time.monotonic()
        result = llm.generate_async([1, 2, 3], sampling_params=params(4), streaming=True)
        seen = await arrivals(result)
        return seen, result, (time.monotonic() - started) * 1000 / ITERATION_MS

    seen, result, total = asyncio.run(run())
    want = greedy_continuation([1, 2, 3], 4)
    assert [s[1] for s in seen] == [[t] for t in want]
    assert [s[0] for s in seen] == [0, 1, 2, 3]
    assert [s[2:] for s in seen] == [(False, None)] * 3 + [(True, "length")]
    assert result.outputs[0].token_ids == want  # cumulative
    # Joins the first iteration, its first token reaches the caller one iteration after it was made
    # (overlap scheduler), the last token after the fourth iteration's successor: 5 iterations.
    assert 4.5 <= total <= 5.8


def test_without_the_overlap_scheduler_a_token_comes_in_the_iteration_it_is_made(clocked):
    llm = clocked(disable_overlap_scheduler=True)

    async def run():
        started = time.monotonic()
        async for _ in llm.generate_async([1, 2, 3], sampling_params=params(2), streaming=True):
            return (time.monotonic() - started) * 1000 / ITERATION_MS

    assert 0.8 <= asyncio.run(run()) <= 1.6  # one iteration, not two


def test_stream_interval_groups_tokens_after_the_first(clocked):
    llm = clocked(stream_interval=3)

    async def run():
        return await arrivals(llm.generate_async([4, 5], sampling_params=params(7), streaming=True))

    seen = asyncio.run(run())
    want = greedy_continuation([4, 5], 7)
    # A response at the first token, at every third iteration, and at the end.
    assert [s[1] for s in seen] == [want[:1], want[1:3], want[3:6], want[6:]]


def test_abort_ends_the_request_at_the_next_iteration_as_cancelled_with_one_more_token(clocked):
    llm = clocked()

    async def run():
        result = llm.generate_async([1, 2, 3], sampling_params=params(50), streaming=True)
        got = []
        async for output in result:
            got.append(list(output.outputs[0].token_ids_diff))
            if len(got) == 3:
                result.abort()
                assert result.aborted() and not result.finished
        return got, result

    got, result = asyncio.run(run())
    # Aborted after the third token arrived: the cancel is fetched when the next iteration
    # starts; the token made in the iteration before it still comes, in the final response.
    assert len(got) == 5 and result.outputs[0].finish_reason == "cancelled"
    assert sum(got, []) == greedy_continuation([1, 2, 3], 5)
    assert trt.simulation_statistics(llm)["executor"]["cancelled"] == 1


def test_generate_is_generate_async_waited_in_order(clocked):
    llm = clocked()
    outputs = llm.generate([[1, 2], [3, 4]], sampling_params=[params(2), params(3)], cache_salt=["a", "b"], use_tqdm=False)
    assert [o.outputs[0].token_ids for o in outputs] == [greedy_continuation([1, 2], 2), greedy_continuation([3, 4], 3)]
    assert all(o.finished for o in outputs) and trt.simulation_statistics(llm)["calls"] == 2


def test_a_result_made_outside_a_loop_reads_synchronously_and_ignores_its_timeout(clocked):
    llm = clocked()
    result = llm.generate_async([1, 2, 3], sampling_params=params(3), streaming=True)
    assert result.aqueue is None  # a plain queue: no loop was running
    started = time.monotonic()
    assert result.result(timeout=0.001) is result  # 1.2.1 waits to the end whatever the timeout
    assert (time.monotonic() - started) * 1000 > 2 * ITERATION_MS
    with pytest.raises(AssertionError, match="event loop was not present"):
        asyncio.run(_aresult_of(llm))


async def _aresult_of(llm):
    """A result made outside a loop, awaited inside one, as 1.2.1 refuses."""
    result = await asyncio.to_thread(llm.generate_async, [7, 8], sampling_params=params(1), streaming=True)
    await result.aresult()


def test_a_result_made_inside_a_loop_and_read_synchronously_warns_and_polls(clocked):
    llm = clocked()

    async def made_in_loop():
        return llm.generate_async([1, 2, 3], sampling_params=params(2), streaming=True)

    result = asyncio.run(made_in_loop())
    assert result.aqueue is not None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert next(result) is result
    assert any("10 ms poll" in str(w.message) for w in caught)


def test_requests_share_iterations_and_a_request_joins_the_next_one(clocked):
    llm = clocked()

    async def run():
        first = llm.generate_async([1], sampling_params=params(6), streaming=True)
        await asyncio.sleep(2.5 * ITERATION_MS / 1000)  # submitted during the third iteration
        second = llm.generate_async([2], sampling_params=params(2), streaming=True)
        return await asyncio.gather(first.aresult(), second.aresult())

    first, second = asyncio.run(run())
    assert first.outputs[0].token_ids == greedy_continuation([1], 6) and second.outputs[0].token_ids == greedy_continuation([2], 2)
    executor = trt.simulation_statistics(llm)["executor"]
    # One batch: 6 iterations for the first plus the overlap's, the second inside them.
    assert executor["iterations"] == 7 and executor["peak_active"] == 2


def test_the_clock_is_read_from_the_environment_and_checked(monkeypatch):
    monkeypatch.setenv("PIE_TRTLLM_SIMULATE_ITERATION_MS", "5")
    monkeypatch.setenv("PIE_TRTLLM_SIMULATE_ITERATION_PER_REQUEST_US", "20")
    clock = IterationClock.from_environment()
    assert clock.running and clock.iteration_s(10) == pytest.approx(0.0052)
    monkeypatch.setenv("PIE_TRTLLM_SIMULATE_ITERATION_MS", "-1")
    with pytest.raises(ValueError, match="finite number >= 0"):
        IterationClock.from_environment()
    monkeypatch.setenv("PIE_TRTLLM_SIMULATE_ITERATION_MS", "inf")
    with pytest.raises(ValueError, match="finite number >= 0"):
        IterationClock.from_environment()
    monkeypatch.setenv("PIE_TRTLLM_SIMULATE_ITERATION_MS", "0")
    monkeypatch.setenv("PIE_TRTLLM_SIMULATE_ITERATION_PER_REQUEST_US", "0")
    assert not IterationClock.from_environment().running


def test_a_request_submitted_on_a_response_brings_its_first_token_three_iterations_after_it(clocked):
    # 1.2.1's overlap loop (reference notes §4: fetch, forward, then the previous iteration's
    # responses; the next turn fetches right after them): a request submitted on seeing a token
    # made in iteration n misses the fetch for n+2 and joins n+3. Its first token reaches the
    # caller three iterations after the one it answered, where a running stream's come one apart.
    llm = clocked()

    async def first_token_at(result):
        async for _ in result:
            return time.monotonic()

    async def run():
        running = llm.generate_async([1], sampling_params=params(12), streaming=True)
        arrived, follow_up = [], None
        async for output in running:
            arrived.append(time.monotonic())
            if len(arrived) == 3:
                prefix = [1] + list(output.outputs[0].token_ids)
                follow_up = asyncio.ensure_future(first_token_at(llm.generate_async(prefix, sampling_params=params(1), streaming=True)))
        return arrived, await follow_up

    arrived, follow_up_at = asyncio.run(run())
    gaps = [(b - a) * 1000 / ITERATION_MS for a, b in zip(arrived, arrived[1:])]
    assert all(0.6 <= gap <= 1.4 for gap in gaps)  # the running stream: one iteration apart
    assert 2.6 <= (follow_up_at - arrived[2]) * 1000 / ITERATION_MS <= 3.4
