"""What TensorRT-LLM 1.2's TorchSampler may draw after a prefix, written for the tests from its
source alone (tensorrt_llm/_torch/pyexecutor/sampling_utils.py @ 053c42c9: resolve_sampling_strategy
and top_k_top_p_sampling_batch), sharing no code with the simulated engine's sampler.

The model is the simulated engine's (its logits after a prefix are the ground truth the tests hold
the runtime to); what a sampler makes of them is computed here."""

import math

from pie_trtllm_runtime.simulated_trtllm.model import next_token_logits


def _greedy(temperature, top_k, top_p):
    # SamplingParams.params_imply_greedy_decoding
    return (temperature is None and top_k is None and top_p is None) or top_k == 1 or top_p == 0 or temperature == 0


def distribution(prefix, temperature=None, top_k=None, top_p=None):
    """{token: probability} of the next token after `prefix` under these SamplingParams fields."""
    logits = next_token_logits(list(prefix))
    ranked = sorted(logits.items(), key=lambda item: (-item[1], item[0]))  # most likely first
    if _greedy(temperature, top_k, top_p):
        return {ranked[0][0]: 1.0}
    t = max(temperature or 1.0, 1e-5)
    k = top_k or 32000
    p = top_p or 1.0
    # Every token outside the model's candidates has logit -inf: only candidates can be kept.
    scaled = [(token, value / t) for token, value in ranked]
    if k < len(scaled):
        kth = scaled[k - 1][1]
        scaled = [(token, value) for token, value in scaled if value >= kth]
    if p < 1:
        top = scaled[0][1]
        weights = [math.exp(value - top) for _, value in scaled]
        total = sum(weights)
        kept, before = [], 0.0
        for (token, value), weight in zip(scaled, weights):
            if kept and before > p:  # removed once the probability of the tokens before it exceeds p
                break
            kept.append((token, value))
            before += weight / total
        scaled = kept
    top = scaled[0][1]
    weights = {token: math.exp(value - top) for token, value in scaled}
    total = sum(weights.values())
    return {token: weight / total for token, weight in weights.items()}


def sampler_fields(sampler):
    """The SamplingParams fields a Pie sampler becomes (DESIGN §3.5)."""
    kind = sampler["type"]
    fields = {"temperature": sampler["temperature"], "top_k": None, "top_p": None}
    if kind in ("top_k", "top_k_top_p"):
        fields["top_k"] = sampler["k"]
    if kind in ("top_p", "top_k_top_p"):
        fields["top_p"] = sampler["p"]
    return fields


def support(prefix, sampler):
    """The tokens a Pie token sampler can draw after `prefix`."""
    return set(distribution(prefix, **sampler_fields(sampler)))


def rank_of(prefix, token):
    """0 for the model's most likely token after `prefix`, 1 for the next, ...; None when the model
    cannot make it."""
    logits = next_token_logits(list(prefix))
    if token not in logits:
        return None
    return sorted(logits, key=lambda t: (-logits[t], t)).index(token)


def rank_probabilities(sampler):
    """The probability of each rank under a sampler: the same after every prefix, since every prefix
    gets logits of the same values (only the tokens they belong to change)."""
    prefix = [1, 2, 3]
    dist = distribution(prefix, **sampler_fields(sampler))
    out = {}
    for token, probability in dist.items():
        out[rank_of(prefix, token)] = probability
    return out
