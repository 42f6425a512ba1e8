"""The simulated model and the samplers that draw from it (DESIGN §3.6).

Greedy next token of a prompt h: `(31 * h[-1] + 7 * len(h) + 1) mod 32000` by default; with
`PIE_TRTLLM_SIMULATE_RULE=prompt`, `S = sum((i + 1) * h[i])` is added, so a wrong token anywhere in
a replayed prompt changes the answer. Stochastic draws honour only what the configured TensorRT-LLM
1.2.1 sampler honours (`api_1_2_1.json`, "samplers")."""

import os

VOCAB = 32000
RULES = ("last", "prompt")
_MASK64 = (1 << 64) - 1
TORCH_SAMPLER_SEED = 42  # TorchSampler's one generator (_global_seed)


def rule_from_environment():
    rule = os.environ.get("PIE_TRTLLM_SIMULATE_RULE", "") or "last"
    if rule not in RULES:
        raise ValueError("PIE_TRTLLM_SIMULATE_RULE must be one of %s, got %r" % (", ".join(RULES), rule))
    return rule


class Prompt:
    """A prompt being extended by generation: what the greedy rule reads, kept up to date in O(1)."""

    __slots__ = ("last", "length", "weighted_sum")

    def __init__(self, tokens, rule):
        self.last = tokens[-1]
        self.length = len(tokens)
        self.weighted_sum = sum((i + 1) * t for i, t in enumerate(tokens)) if rule == "prompt" else 0

    def greedy_next(self):
        return (31 * self.last + 7 * self.length + 1 + self.weighted_sum) % VOCAB

    def append(self, token, rule):
        self.length += 1
        self.last = token
        if rule == "prompt":
            self.weighted_sum += self.length * token


def mix(value):
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


class TorchSamplerDraws:
    """TorchSampler of 1.2.1: one generator seeded 42 for every request; a request's seed is not
    read, so a draw depends on how many draws came before it, not on the request."""

    def __init__(self):
        self._state = TORCH_SAMPLER_SEED

    def draw(self, prompt, params, step):
        self._state = mix(self._state)
        return _within_top_k(prompt, self._state, params.top_k)


class TrtllmSamplerDraws:
    """TRTLLMSampler of 1.2.1: the C++ decoder seeds each request from `SamplingParams.seed`
    (0 when unset), so a draw is a function of the seed, the prompt and the step."""

    def draw(self, prompt, params, step):
        value = mix((params.seed or 0) ^ mix(prompt.length ^ mix(prompt.last ^ mix(step))))
        return _within_top_k(prompt, value, params.top_k)


def _within_top_k(prompt, value, top_k):
    if top_k:
        return (prompt.greedy_next() + value % top_k) % VOCAB
    return value % VOCAB


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
