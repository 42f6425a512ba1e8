"""Pie samplers: which ones the driver honours, what they mean for TensorRT-LLM's SamplingParams,
and the per-step seed of stochastic sampling."""

import math

from .codes import INVALID_REQUEST, UNSUPPORTED_PROBE, RequestError
from .json_safe import MAX_SAFE_INTEGER
from .shown import shown

TOKEN_SAMPLERS = ("multinomial", "top_k", "top_p", "min_p", "top_k_top_p")
# The fields each token sampler carries (DESIGN §3.5); any other field is a malformed request.
SAMPLER_FIELDS = {
    "multinomial": frozenset(("type", "temperature", "seed")),
    "top_k": frozenset(("type", "temperature", "k")),
    "top_p": frozenset(("type", "temperature", "p")),
    "min_p": frozenset(("type", "temperature", "p")),
    "top_k_top_p": frozenset(("type", "temperature", "k", "p")),
}
PROBE_SAMPLERS = ("dist", "raw_logits", "logprob", "logprobs", "entropy", "embedding")

_MASK64 = (1 << 64) - 1


def _splitmix64(value):
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def step_seed(base_seed, context_id, position):
    """A seed for one stochastic step: a function of the request's seed, its context and the
    position sampled, so successive steps draw independently yet reproducibly."""
    mixed = _splitmix64((base_seed & _MASK64) ^ _splitmix64((context_id & _MASK64) ^ _splitmix64(position & _MASK64)))
    return mixed & ((1 << 63) - 1)


# Every greedy sampler is one sampler to TensorRT-LLM (resolve_sampling_strategy returns GREEDY
# whatever the other fields say), so greedy steps share one stream key.
GREEDY_KEY = ("greedy",)


class Sampler:
    """One token-producing Pie sampler, checked. `stream_key` says which steps one stream may
    serve: every field of a stochastic sampler counts, so a stream's draws are never handed to a
    step that asked for another sampler."""

    __slots__ = ("kind", "temperature", "top_k", "top_p", "min_p", "seed", "greedy", "stream_key")

    def __init__(self, kind, temperature, top_k=None, top_p=None, min_p=None, seed=0):
        self.kind = kind
        self.temperature = temperature
        self.top_k = top_k
        self.top_p = top_p
        self.min_p = min_p
        self.seed = seed
        # TensorRT-LLM 1.2.1 decodes greedily at temperature 0, top_k 1 or top_p 0
        # (params_imply_greedy_decoding); every such sampler yields the same tokens, so they
        # share lookahead.
        self.greedy = temperature == 0 or top_k == 1 or top_p == 0
        self.stream_key = GREEDY_KEY if self.greedy else (kind, temperature, top_k, top_p, min_p, seed)

    def sampling_kwargs(self):
        """The sampler-specific SamplingParams fields."""
        kwargs = {"temperature": float(self.temperature)}
        if self.top_k is not None:
            kwargs["top_k"] = self.top_k
        if self.top_p is not None:
            kwargs["top_p"] = float(self.top_p)
        if self.min_p is not None:
            kwargs["min_p"] = float(self.min_p)
        return kwargs


def _number(sampler, key, low, high):
    value = sampler.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RequestError(INVALID_REQUEST, "sampler %s needs a numeric %r, found %s" % (sampler.get("type"), key, shown(value)))
    if value < low or (high is not None and value > high):
        bounds = "[%s, %s]" % (low, high if high is not None else "inf")
        raise RequestError(INVALID_REQUEST, "sampler %s: %s = %r is outside %s" % (sampler.get("type"), key, value, bounds))
    return value


def _integer(sampler, key, low):
    value = sampler.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < low or value > MAX_SAFE_INTEGER:
        raise RequestError(INVALID_REQUEST, "sampler %s needs an integer %r from %d to 2^53 - 1, found %s" % (sampler.get("type"), key, low, shown(value)))
    return value


def parse_sampler(sampler):
    """A Sampler for a token sampler; RequestError for a probe or a malformed one."""
    if not isinstance(sampler, dict):
        raise RequestError(INVALID_REQUEST, "a sampler must be an object, found %s" % shown(sampler))
    kind = sampler.get("type")
    if type(kind) is not str:
        raise RequestError(INVALID_REQUEST, "a sampler needs a string 'type', found %s" % shown(kind))
    if kind in PROBE_SAMPLERS:
        raise RequestError(
            UNSUPPORTED_PROBE,
            "the %s sampler needs logits or probabilities, which TensorRT-LLM's LLM API does not return here; "
            "use a token sampler (multinomial, top_k, top_p, min_p, top_k_top_p)" % kind,
        )
    if kind not in TOKEN_SAMPLERS:
        raise RequestError(INVALID_REQUEST, "unknown sampler type %s" % shown(kind))
    unknown = sorted(set(sampler) - SAMPLER_FIELDS[kind])
    if unknown:
        raise RequestError(INVALID_REQUEST, "sampler %s has no field %s; it takes %s" % (kind, shown(unknown[0]), ", ".join(sorted(SAMPLER_FIELDS[kind]))))
    temperature = _number(sampler, "temperature", 0, None)
    if kind == "multinomial":
        return Sampler(kind, temperature, seed=_integer(sampler, "seed", 0))
    if kind == "top_k":
        return Sampler(kind, temperature, top_k=_integer(sampler, "k", 0))
    if kind == "top_p":
        return Sampler(kind, temperature, top_p=_number(sampler, "p", 0, 1))
    if kind == "min_p":
        return Sampler(kind, temperature, min_p=_number(sampler, "p", 0, 1))
    return Sampler(kind, temperature, top_k=_integer(sampler, "k", 0), top_p=_number(sampler, "p", 0, 1))
