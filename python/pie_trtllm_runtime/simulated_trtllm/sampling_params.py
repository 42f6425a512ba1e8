"""SamplingParams of TensorRT-LLM 1.2.1: a keyword-only slotted dataclass, as the real one is, so an
unknown field or a positional argument is a TypeError. Its fields come from `api_1_2_1.json`;
`__post_init__` validates as 1.2.1 does (`sampling_params.py` @ a98a9061)."""

import dataclasses
import os

from .api import SAMPLING_PARAMS_DEFAULTS, SAMPLING_PARAMS_FIELDS


def _post_init(self):
    if self.pad_id is None:
        self.pad_id = self.end_id
    self.best_of = self.best_of or self.n
    if self.top_p is not None and not (0 <= self.top_p <= 1):
        raise ValueError("require 0 <= top_p <= 1, got top_p=%r" % self.top_p)
    if self.top_k is not None and self.top_k < 0:
        raise ValueError("require top_k >= 0, got top_k=%r" % self.top_k)
    if self.temperature is not None and self.temperature < 0:
        raise ValueError("require temperature >= 0, got temperature=%r" % self.temperature)
    if self.best_of < self.n:
        raise ValueError("best_of (%d) cannot be less than n (%d)" % (self.best_of, self.n))
    if self.best_of > 1 and self._greedy_decoding and not os.environ.get("TLLM_ALLOW_N_GREEDY_DECODING", None):
        raise ValueError("Greedy decoding in the LLM API does not allow multiple returns. Please set to best_of=1, got best_of=%d. "
                         "Please set to best_of=1 or set an environment variable TLLM_ALLOW_N_GREEDY_DECODING=1 to allow n-greedy decoding." % self.best_of)
    if self.truncate_prompt_tokens is not None and self.truncate_prompt_tokens < 1:
        raise ValueError("truncate_prompt_tokens must be >= 1, got %r" % (self.truncate_prompt_tokens,))
    self.logprobs = self.logprobs and int(self.logprobs)
    self.prompt_logprobs = self.prompt_logprobs and int(self.prompt_logprobs)


def _greedy_decoding(self):
    """`params_imply_greedy_decoding` of 1.2.1: all three unset, top_k 1, top_p 0 or temperature 0."""
    return ((self.temperature is None and self.top_p is None and self.top_k is None) or self.top_k == 1
            or self.top_p == 0.0 or self.temperature == 0)


SamplingParams = dataclasses.make_dataclass(
    "SamplingParams",
    [(name, object, dataclasses.field(default=SAMPLING_PARAMS_DEFAULTS.get(name))) for name in SAMPLING_PARAMS_FIELDS],
    namespace={"__post_init__": _post_init, "_greedy_decoding": property(_greedy_decoding),
               "is_greedy": _greedy_decoding, "__module__": __name__},
    slots=True,
    kw_only=True,
)
