"""Stochastic streams (DESIGN §4): an unseeded sampling step gets one draw of its own sampler on its
own prefix, whether a stream made it or a one-token request did; a stream serves only its own
sampler's steps, each draw once; a sampler that honours seeds keeps one request per token."""

import json
from array import array
import base64

from helpers import GREEDY, LOGGED_ERRORS, EngineClock, batch, engine, shut_down, trtllm_sampler_engine
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_sampler import rank_of, rank_probabilities, support
from test_engine import spy_on_requests
from test_next_decode_step import driver_step

from pie_trtllm_runtime.batch import parse_batch
from pie_trtllm_runtime.sampling import step_seed
from pie_trtllm_runtime.server import Server

NUCLEUS = {"type": "top_p", "temperature": 0.7, "p": 0.9}
TOP2 = {"type": "top_k", "temperature": 1.0, "k": 2}
NARROW_NUCLEUS = {"type": "top_p", "temperature": 0.5, "p": 0.3}
WIDE = {"type": "multinomial", "temperature": 1.5, "seed": 0}
TOP40 = {"type": "top_k", "temperature": 0.8, "k": 40}
BOTH = {"type": "top_k_top_p", "temperature": 0.9, "k": 8, "p": 0.6}
SAMPLERS = [NUCLEUS, TOP2, NARROW_NUCLEUS, WIDE, TOP40, BOTH, GREEDY]


def run(e, requests):
    return e.forward(parse_batch(batch(requests)))


class Programs:
    """Sampling programs served through the server as the driver sends them, each token checked
    against the support of its own step's sampler on the program's own prefix."""

    def __init__(self, contexts, options=None):
        self.server = Server(engine(**(options or {})), {}, None, None)
        LOGGED_ERRORS.records.clear()
        self.prefix = {c: [c % 97 + 1, 7, 9] for c in contexts}
        self.next_id = 0
        self.checked = 0
        self.forward([(c, self.prefix[c], 0, NUCLEUS) for c in contexts], [NUCLEUS] * len(contexts))

    def send(self, message):
        self.next_id += 1
        reply = self.server.handle(json.dumps(dict(message, id=self.next_id)).encode())
        self.server.settle()
        if "tokens" in reply:
            return [[t] for t in array("I", base64.b64decode(reply["tokens"])).tolist()]
        return [r if isinstance(r, list) else r["error"]["code"] for r in reply["results"]]

    def forward(self, requests, samplers):
        out = self.send({"op": "forward", "batch": batch(requests)})
        self.check(requests, samplers, out)

    def step(self, contexts, samplers):
        """One decode step: each context writes its last token and samples under its sampler; one
        shared sampler goes in the driver's layout (fast path, anticipated steps), several in Pie's."""
        positions = [len(self.prefix[c]) - 1 for c in contexts]
        tokens = [self.prefix[c][-1] for c in contexts]
        if all(s is samplers[0] for s in samplers):
            out = self.send({"op": "forward", "batch": driver_step(contexts, tokens, positions, samplers[0])})
        else:
            out = self.send({"op": "forward", "batch": batch([(c, [t], p, s) for c, t, p, s in zip(contexts, tokens, positions, samplers)])})
        self.check([(c, None, None, None) for c in contexts], samplers, out)

    def check(self, requests, samplers, out):
        for (context, _t, _p, _s), sampler, result in zip(requests, samplers, out):
            assert isinstance(result, list) and len(result) == 1, result
            token = result[0]
            allowed = support(self.prefix[context], sampler)
            assert token in allowed, (context, sampler, len(self.prefix[context]), token, sorted(allowed)[:8])
            self.prefix[context].append(token)
            self.checked += 1


SCHEDULES = st.lists(st.tuples(st.sampled_from(range(len(SAMPLERS))), st.integers(1, 12), st.booleans()), min_size=1, max_size=6)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(schedule=SCHEDULES, width=st.sampled_from([1, 3, 33]), options=st.sampled_from([{}, {"lookahead_stream_tokens": 3, "lookahead_tokens": 2}]))
def test_every_token_lies_in_the_support_of_its_own_steps_sampler(schedule, width, options):
    check_schedule(schedule, width, options)


@settings(max_examples=10, deadline=None, derandomize=True)
@given(schedule=SCHEDULES, width=st.sampled_from([1, 3, 33]))
def test_every_token_lies_in_the_support_of_its_own_steps_sampler_with_the_engine_clock_on(schedule, width):
    with EngineClock(1):
        check_schedule(schedule, width, {})


def check_schedule(schedule, width, options):
    """Runs of steps, each run under one sampler for the whole batch or (mixed) a different sampler
    per context, through narrower and wider samplers, greedy and back."""
    contexts = list(range(10, 10 + width))
    programs = Programs(contexts, options)
    try:
        for index, steps, mixed in schedule:
            for _ in range(steps):
                if mixed:
                    programs.step(contexts, [SAMPLERS[(index + i) % len(SAMPLERS)] for i in range(width)])
                else:
                    programs.step(contexts, [SAMPLERS[index]] * width)
        assert not LOGGED_ERRORS.records, LOGGED_ERRORS.messages()
    finally:
        shut_down(programs.server.engine)


def test_a_sampling_loop_is_served_from_one_stream_and_answered_ahead():
    programs = Programs([1, 2, 3])
    for _ in range(20):
        programs.step([1, 2, 3], [NUCLEUS] * 3)
    e = programs.server.engine
    e.requests.idle()
    assert e.engine_calls == 3  # one stream request per context (32 tokens: 21 taken)
    assert e.sampling_streams_started == 3
    assert programs.server.anticipated_steps > 10
    programs.server.catch_up()
    assert e.sampling_hits + e.sampling_waits == 3 * 21  # the prompt's step and 20 more, each from its stream


def test_a_stream_request_carries_its_samplers_fields_and_no_seed_and_a_change_aborts_it_first():
    e = engine()
    calls = spy_on_requests(e)
    first = run(e, [(1, [5, 6, 7], 0, TOP40)])[0][0]
    stream = e.histories.get(1).stream
    second = run(e, [(1, [first], 3, TOP2)])[0][0]
    e.requests.idle()
    assert stream.state == "closed"  # closed before the step was answered
    assert second in support([5, 6, 7, first], TOP2)
    params = [kwargs["sampling_params"] for _, kwargs in calls]
    assert [(p.temperature, p.top_k, p.top_p, p.seed) for p in params] == [(0.8, 40, None, None), (1.0, 2, None, None)]
    assert [prompt for prompt, _ in calls] == [[5, 6, 7], [5, 6, 7, first]]
    assert all(kwargs["streaming"] is True for _, kwargs in calls)
    assert e.llm._batcher.statistics.requests == 2


def test_any_field_of_the_sampler_that_differs_ends_the_stream():
    changes = [dict(NUCLEUS, temperature=0.71), dict(NUCLEUS, p=0.91), {"type": "top_k_top_p", "temperature": 0.7, "k": 0, "p": 0.9}]
    for changed in changes:
        e = engine()
        first = run(e, [(1, [5, 6, 7], 0, NUCLEUS)])[0][0]
        stream = e.histories.get(1).stream
        run(e, [(1, [first], 3, changed)])
        assert stream.state == "closed", changed
        assert e.engine_calls == 2, changed
    e = engine()
    first = run(e, [(1, [5, 6, 7], 0, NUCLEUS)])[0][0]
    run(e, [(1, [first], 3, dict(NUCLEUS, temperature=0.7))])  # the same sampler, spelled again
    assert e.engine_calls == 1


def test_a_token_of_the_programs_own_ends_the_stream_and_its_draws_are_wasted_once():
    e = engine()
    first = run(e, [(1, [5, 6, 7], 0, NUCLEUS)])[0][0]
    e.requests.idle()
    stream = e.histories.get(1).stream
    made = len(stream.tokens)
    own = (first + 1) % 32000
    after = run(e, [(1, [own], 3, NUCLEUS)])[0][0]
    assert stream.state == "closed"
    assert after in support([5, 6, 7, own], NUCLEUS)
    e.requests.idle()
    assert e.engine_tokens_wasted == made - 1
    e.release([1])
    e.release([1])
    e.requests.idle()
    second = e.histories.get(1)
    assert second is None
    # The second stream (a first request of 2: the program left the first after 1 token) wasted 1.
    assert e.engine_tokens_wasted == made - 1 + 1
    assert e.llm._batcher.statistics.cancelled == 0  # with the clock off every request ended on arrival


def test_a_step_that_asks_again_for_a_position_gets_a_new_draw_not_the_one_it_had():
    e = engine(llm_kwargs={"sampler_type": "TorchSampler"})
    prompt = [5, 6, 7]
    first = run(e, [(1, prompt, 0, WIDE)])[0][0]
    stream = e.histories.get(1).stream
    calls = e.engine_calls
    again = [run(e, [(1, prompt, 0, WIDE)])[0][0] for _ in range(12)]
    assert e.engine_calls == calls + 12  # one request each: the stream's draw was handed out already
    assert stream.state != "closed" and e.histories.get(1).stream is stream
    assert all(token in support(prompt, WIDE) for token in again)
    assert len(set(again + [first])) > 1  # new draws (WIDE has 64 possible tokens)


def test_a_sampler_that_honours_seeds_keeps_one_request_per_token_with_a_seed_per_step():
    e = trtllm_sampler_engine()
    calls = spy_on_requests(e)
    seeded = {"type": "multinomial", "temperature": 1.0, "seed": 99}
    prompt = [3, 4]
    tokens = [run(e, [(7, prompt, 0, seeded)])[0][0]]
    for i in range(5):
        tokens.append(run(e, [(7, [tokens[-1]], len(prompt) + i, seeded)])[0][0])
    assert e.histories.get(7).stream is None and e.engine_calls == 6
    assert [kwargs["sampling_params"].seed for _, kwargs in calls] == [step_seed(99, 7, len(prompt) + i) for i in range(6)]
    assert all(kwargs.get("streaming", False) is False and kwargs["sampling_params"].max_tokens == 1 for _, kwargs in calls)
    # Unseeded steps too take the configured random_seed (42): reproducible, so not streamed.
    unseeded = run(e, [(8, prompt, 0, NUCLEUS)])
    assert e.histories.get(8).stream is None and calls[-1][1]["sampling_params"].seed == step_seed(42, 8, len(prompt))
    assert unseeded[0][0] in support(prompt, NUCLEUS)


def test_window_mode_and_lookahead_off_draw_one_request_per_sampled_token():
    for options in ({"lookahead_mode": "window", "lookahead_tokens": 8}, {"lookahead_tokens": 1}):
        e = engine(**options)
        prompt = [5, 6]
        token = run(e, [(1, prompt, 0, NUCLEUS)])[0][0]
        for i in range(4):
            token = run(e, [(1, [token], len(prompt) + i, NUCLEUS)])[0][0]
        assert e.engine_calls == 5 and e.histories.get(1).stream is None, options


def ranks_after(position, options, programs=1500, sampler=NUCLEUS):
    """The likelihood rank of each program's token at `position` (0: the first token it samples)
    on its own prefix, for `programs` programs of one prompt."""
    e = engine(**options)
    prompts = {c: [5, 6, 7] for c in range(programs)}
    out = [r[0] for r in run(e, [(c, prompts[c], 0, sampler) for c in prompts])]
    for step in range(position):
        for c, token in zip(prompts, out):
            prompts[c] = prompts[c] + [token]
        out = [r[0] for r in run(e, [(c, [prompts[c][-1]], len(prompts[c]) - 1, sampler) for c in prompts])]
    ranks = [rank_of(prompts[c], token) for c, token in zip(prompts, out)]
    shut_down(e)
    return ranks


def chi_square(ranks, probabilities):
    """Pearson's statistic of observed ranks against expected probabilities, and its degrees of
    freedom (ranks pooled from the least likely up until each bin expects at least 10)."""
    n = len(ranks)
    counts = {}
    for rank in ranks:
        counts[rank] = counts.get(rank, 0) + 1
    assert set(counts) <= set(probabilities), sorted(set(counts) - set(probabilities))
    bins, observed, expected = [], 0, 0.0
    for rank in sorted(probabilities, reverse=True):
        observed += counts.get(rank, 0)
        expected += probabilities[rank] * n
        if expected >= 10:
            bins.append((observed, expected))
            observed, expected = 0, 0.0
    if expected and bins:
        last_o, last_e = bins.pop()
        bins.append((last_o + observed, last_e + expected))
    statistic = sum((o - e) ** 2 / e for o, e in bins)
    return statistic, len(bins) - 1


def chi2_upper(freedom, z=3.0902):
    """The upper 0.1 % point of the chi-square distribution (z: the normal's), by the
    Wilson-Hilferty approximation (59.8 at 30 degrees of freedom, tables: 59.7)."""
    h = 2.0 / (9 * freedom)
    return freedom * (1 - h + z * h ** 0.5) ** 3


def test_stream_served_and_one_request_draws_follow_the_samplers_distribution_at_the_first_and_a_later_position():
    # The simulated engine's generator is seeded (42), so these draws are the same on every run.
    expected = rank_probabilities(NUCLEUS)
    for position in (0, 6):
        for options in ({}, {"lookahead_tokens": 1}):  # streams, and one request per token
            statistic, freedom = chi_square(ranks_after(position, options), expected)
            assert statistic < chi2_upper(freedom), (position, options, statistic, freedom)


def test_draws_of_another_sampler_would_fail_that_check():
    # The check above can fail: draws under top_k 40 at temperature 0.8 judged against the same
    # support at temperature 1.2 (the same 40 tokens possible, other odds).
    warmer = dict(TOP40, temperature=1.2)
    assert set(rank_probabilities(warmer)) == set(rank_probabilities(TOP40))
    statistic, freedom = chi_square(ranks_after(0, {}, sampler=TOP40), rank_probabilities(warmer))
    assert statistic > 2 * chi2_upper(freedom)


def test_a_stream_serves_a_release_fork_and_eviction_as_a_greedy_one():
    e = engine(max_session_histories=2)
    a = run(e, [(1, [5, 6, 7], 0, NUCLEUS)])[0][0]
    first = e.histories.get(1).stream
    e.fork(1, 2, 3)  # the child starts without a stream; the parent keeps its own
    assert e.histories.get(2).stream is None and first.state != "closed"
    run(e, [(3, [9], 0, NUCLEUS)])  # evicts context 1 (least recently used): its stream is closed
    assert first.state == "closed"
    child = run(e, [(2, [a], 3, NUCLEUS)])[0][0]
    assert child in support([5, 6, 7, a], NUCLEUS)
    streams = [e.histories.get(c).stream for c in (2, 3)]
    e.shutdown()
    assert all(s.state == "closed" or s.handle is None for s in streams)
