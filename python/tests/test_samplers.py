"""Samplers honour only what TensorRT-LLM 1.2.1's configured sampler honours (DESIGN §3.3, §4)."""

from helpers import GREEDY, batch, engine, greedy_continuation, trtllm_sampler_engine
from pie_trtllm_runtime import codes
from pie_trtllm_runtime.batch import parse_batch
from pie_trtllm_runtime.capabilities import capability_report


def run(e, requests):
    results = e.forward(parse_batch(batch(requests)))
    return [r.code if isinstance(r, codes.RequestError) else r for r in results]


def decode(e, context_id, prompt, steps, sampler):
    out = run(e, [(context_id, prompt, 0, sampler)])
    tokens = [out[0][0]]
    for i in range(1, steps):
        out = run(e, [(context_id, [tokens[-1]], len(prompt) + i - 1, sampler)])
        tokens.append(out[0][0])
    return tokens


SEEDED = {"type": "multinomial", "temperature": 1.0, "seed": 1234}
UNSEEDED = {"type": "multinomial", "temperature": 1.0, "seed": 0}
MIN_P = {"type": "min_p", "temperature": 0.7, "p": 0.1}


def test_default_sampler_refuses_a_seed_and_min_p_alone_and_serves_the_rest():
    e = engine()
    out = run(e, [(1, [3, 4], 0, SEEDED), (2, [5, 6], 0, MIN_P), (3, [7, 8], 0, GREEDY), (4, [9], 0, UNSEEDED)])
    assert out[:2] == [codes.UNSUPPORTED_SAMPLER, codes.UNSUPPORTED_SAMPLER]
    assert out[2] == greedy_continuation([7, 8], 1)
    assert isinstance(out[3], list) and len(out[3]) == 1


def test_the_refusal_names_the_fix():
    e = engine()
    results = e.forward(parse_batch(batch([(1, [3], 0, SEEDED), (2, [3], 0, MIN_P)])))
    assert "sampler_type = \"TRTLLMSampler\"" in results[0].message and "seed 0" in results[0].message
    assert "TRTLLMSampler" in results[1].message


def test_greedy_samplers_never_need_a_seed_or_min_p():
    e = engine()
    greedy_seeded = {"type": "multinomial", "temperature": 0, "seed": 99}
    greedy_min_p = {"type": "min_p", "temperature": 0, "p": 0.5}
    out = run(e, [(1, [3, 4], 0, greedy_seeded), (2, [3, 4], 0, greedy_min_p)])
    assert out == [greedy_continuation([3, 4], 1)] * 2


def test_default_sampler_sends_no_seed_it_would_ignore():
    # One request per token with lookahead off; one stream request with it on (its draws are the
    # steps' draws): neither carries a seed.
    for options, requests in (({"lookahead_tokens": 1}, 3), ({}, 1)):
        e = engine(**options)
        seeds = []
        original = e._sampling_params

        def recording(**kwargs):
            seeds.append(kwargs.get("seed", "absent"))
            return original(**kwargs)

        e._sampling_params = recording
        decode(e, 1, [3, 4], 3, UNSEEDED)
        assert seeds == ["absent"] * requests, options


def test_default_sampler_draws_depend_on_draw_order_not_on_the_request():
    # One generator seeded 42 for everything: the same request drawn first in two fresh engines
    # gives the same token, and the second draw of one engine differs from its first.
    first_a = run(engine(), [(1, [3, 4], 0, UNSEEDED)])[0]
    first_b = run(engine(), [(1, [3, 4], 0, UNSEEDED)])[0]
    assert first_a == first_b
    e = engine()
    draws = [run(e, [(c, [3, 4], 0, UNSEEDED)])[0][0] for c in range(1, 6)]
    assert len(set(draws)) > 1


def test_trtllm_sampler_reproduces_a_seeded_request_and_separates_seeds_contexts_and_positions():
    sampler = SEEDED
    assert decode(trtllm_sampler_engine(), 1, [3, 4], 5, sampler) == decode(trtllm_sampler_engine(), 1, [3, 4], 5, sampler)
    # Other seeds, other contexts: other draws (over several seeds, not all equal).
    by_seed = {run(trtllm_sampler_engine(), [(1, [3, 4], 0, dict(sampler, seed=s))])[0][0] for s in range(1, 9)}
    assert len(by_seed) > 1
    by_context = {run(trtllm_sampler_engine(), [(c, [3, 4], 0, sampler)])[0][0] for c in range(1, 9)}
    assert len(by_context) > 1
    steps = decode(trtllm_sampler_engine(), 1, [3, 4], 8, sampler)
    assert len(set(steps)) > 1


def test_trtllm_sampler_sends_a_seed_per_step_and_accepts_min_p():
    e = trtllm_sampler_engine()
    seeds = []
    original = e._sampling_params

    def recording(**kwargs):
        seeds.append(kwargs.get("seed"))
        assert kwargs["max_tokens"] == 1
        return original(**kwargs)

    e._sampling_params = recording
    decode(e, 1, [3, 4], 5, SEEDED)
    assert e.engine_calls == 5
    assert len(set(seeds)) == 5 and all(isinstance(s, int) for s in seeds)
    assert isinstance(run(e, [(2, [3], 0, MIN_P)])[0], list)


def test_top_p_zero_is_greedy_with_lookahead():
    e = engine()
    sampler = {"type": "top_p", "temperature": 0.9, "p": 0}
    assert decode(e, 1, [1, 2, 3], 16, sampler) == greedy_continuation([1, 2, 3], 16)
    assert e.engine_calls == 1


def test_capability_report_says_what_the_sampler_honours():
    class Model:
        arch_name, vocab_size, max_model_len = "M", 32000, 4096

    default = capability_report({}, Model(), "bfloat16")
    assert (default["sampler_type"], default["supports_seeded_sampling"], default["supports_min_p"]) == ("TorchSampler", False, False)
    trtllm = capability_report({"llm_kwargs": {"sampler_type": "TRTLLMSampler"}}, Model(), "bfloat16")
    assert (trtllm["sampler_type"], trtllm["supports_seeded_sampling"], trtllm["supports_min_p"]) == ("TRTLLMSampler", True, True)
