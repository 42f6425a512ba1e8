"""The simulated model and the samplers that draw from it (DESIGN §3.6).

Greedy next token of a prompt h: `(31 * h[-1] + 7 * len(h) + 1) mod 32000` by default; with
`PIE_TRTLLM_SIMULATE_RULE=prompt`, `S = sum((i + 1) * h[i])` is added, so a wrong token anywhere in
a replayed prompt changes the answer.

Stochastic draws come from the model's logits after the whole prefix (`next_token_logits`): the
greedy token most likely, then CANDIDATES - 1 others that the whole prefix picks, each LOGIT_STEP
lower. The configured TensorRT-LLM 1.2.1 sampler shapes them as it does (`torch_sampler.py`), and
honours only what it honours (`api_1_2_1.json`, "samplers"), so a draw under one sampler can be told
from a draw under another: top_k 2 leaves two tokens possible, temperature changes their odds."""

import bisect
import os

from .torch_sampler import probabilities

VOCAB = 32000
RULES = ("last", "prompt")
_MASK64 = (1 << 64) - 1
_TWO_53 = float(1 << 53)
TORCH_SAMPLER_SEED = 42  # TorchSampler's one generator (_global_seed)
CANDIDATES = 64  # tokens with a finite logit after any prefix
LOGIT_STEP = 0.125  # logit of the rank-r candidate: -r * LOGIT_STEP
DIGEST_START = 0x5851F42D4C957F2D


def rule_from_environment():
    rule = os.environ.get("PIE_TRTLLM_SIMULATE_RULE", "") or "last"
    if rule not in RULES:
        raise ValueError("PIE_TRTLLM_SIMULATE_RULE must be one of %s, got %r" % (", ".join(RULES), rule))
    return rule


class Prompt:
    """A prompt being extended by generation: what the greedy rule reads, kept up to date in O(1),
    and (for stochastic requests only, which ask for it) a digest of every token so far."""

    __slots__ = ("last", "length", "weighted_sum", "digest")

    def __init__(self, tokens, rule):
        self.last = tokens[-1]
        self.length = len(tokens)
        self.weighted_sum = sum((i + 1) * t for i, t in enumerate(tokens)) if rule == "prompt" else 0
        self.digest = None

    def greedy_next(self):
        return (31 * self.last + 7 * self.length + 1 + self.weighted_sum) % VOCAB

    def track_digest(self, tokens):
        digest = DIGEST_START
        for token in tokens:
            digest = mix(digest ^ token)
        self.digest = digest

    def append(self, token, rule):
        self.length += 1
        self.last = token
        if rule == "prompt":
            self.weighted_sum += self.length * token
        if self.digest is not None:
            self.digest = mix(self.digest ^ token)


def mix(value):
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def candidate(prompt, rank):
    """The token of the given likelihood rank after `prompt`: rank 0 is the greedy rule's token;
    the others step through the vocabulary from it by a stride that the whole prefix decides (odd
    and not a multiple of 5, so coprime with 32000: the candidates are distinct)."""
    greedy = prompt.greedy_next()
    if rank == 0:
        return greedy
    stride = (prompt.digest % (VOCAB // 2)) * 2 + 1
    if stride % 5 == 0:
        stride += 2
    return (greedy + rank * stride) % VOCAB


def next_token_logits(tokens, rule=None):
    """The model's logits after `tokens`, as {token: logit} over the tokens it can make (every other
    token has logit -inf): CANDIDATES tokens, the greedy one most likely, each next one LOGIT_STEP
    lower. Which tokens they are depends on the whole prefix."""
    prompt = Prompt(tokens, rule or rule_from_environment())
    prompt.track_digest(tokens)
    return {candidate(prompt, rank): -rank * LOGIT_STEP for rank in range(CANDIDATES)}


class _Cumulative:
    """Cumulative sampling probabilities per sampler setting (the logits' values are the same for
    every prefix, only the tokens they belong to change, so one table serves every prompt)."""

    LIMIT = 4096  # distinct settings kept; a program that sends endless temperatures is recomputed

    def __init__(self):
        self._tables = {}

    def get(self, params):
        key = (params.temperature, params.top_k, params.top_p, self.min_p(params))
        table = self._tables.get(key)
        if table is None:
            if len(self._tables) >= self.LIMIT:
                self._tables.clear()
            weights = probabilities([-rank * LOGIT_STEP for rank in range(CANDIDATES)], params.temperature, params.top_k, params.top_p,
                                    self.min_p(params))
            table, total = [], 0.0
            for weight in weights:
                total += weight
                table.append(total)
            self._tables[key] = table
        return table

    def min_p(self, params):
        return None


class _CumulativeWithMinP(_Cumulative):
    def min_p(self, params):
        return params.min_p


def _rank(table, uniform):
    """The rank a uniform draw in [0, 1) falls on (inverse of the cumulative table)."""
    return min(bisect.bisect_right(table, uniform * table[-1]), len(table) - 1)


class TorchSamplerDraws:
    """TorchSampler of 1.2.1: one generator seeded 42 for every request; a request's seed is not
    read, so a draw depends on how many draws came before it, not on the request; `min_p` is not
    read either."""

    def __init__(self):
        self._state = TORCH_SAMPLER_SEED
        self._tables = _Cumulative()

    def draw(self, prompt, params, step):
        self._state = mix(self._state)
        return candidate(prompt, _rank(self._tables.get(params), (self._state >> 11) / _TWO_53))


class TrtllmSamplerDraws:
    """TRTLLMSampler of 1.2.1: the C++ decoder seeds each request from `SamplingParams.seed`
    (0 when unset), so a draw is a function of the seed and the step; it applies min_p too."""

    def __init__(self):
        self._tables = _CumulativeWithMinP()

    def draw(self, prompt, params, step):
        value = mix((params.seed or 0) ^ mix(step))
        return candidate(prompt, _rank(self._tables.get(params), (value >> 11) / _TWO_53))


class GreedyTokens:
    """A greedy request's tokens, one at a time or many at once."""

    __slots__ = ("_prompt", "_rule")

    def __init__(self, tokens, rule):
        self._prompt = Prompt(tokens, rule)
        self._rule = rule

    def next(self):
        prompt = self._prompt
        token = prompt.greedy_next()
        prompt.append(token, self._rule)
        return token

    def take(self, count):
        """The next `count` tokens (what `next` would give `count` times, without its calls)."""
        prompt = self._prompt
        last, length, weighted = prompt.last, prompt.length, prompt.weighted_sum
        whole = self._rule == "prompt"
        out = []
        append = out.append
        for _ in range(count):
            last = (31 * last + 7 * length + 1 + weighted) % VOCAB
            length += 1
            if whole:
                weighted += length * last
            append(last)
        prompt.last, prompt.length, prompt.weighted_sum = last, length, weighted
        return out


class SampledTokens:
    """A stochastic request's draws from the configured sampler."""

    __slots__ = ("_prompt", "_rule", "_draws", "_params", "_step")

    def __init__(self, tokens, rule, draws, params):
        self._prompt = Prompt(tokens, rule)
        self._prompt.track_digest(tokens)
        self._rule = rule
        self._draws = draws
        self._params = params
        self._step = 0

    def next(self):
        token = self._draws.draw(self._prompt, self._params, self._step)
        self._step += 1
        self._prompt.append(token, self._rule)
        return token

    def take(self, count):
        return [self.next() for _ in range(count)]
