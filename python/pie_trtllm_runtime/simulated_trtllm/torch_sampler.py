"""How TensorRT-LLM's TorchSampler turns a request's logits into the probabilities it draws from.

From `tensorrt_llm/_torch/pyexecutor/sampling_utils.py` @ 053c42c9 (`resolve_sampling_strategy`,
`top_k_top_p_sampling_batch`), the code TorchSampler of the 1.2 line samples with:
- greedy (argmax) when `params_imply_greedy_decoding`: temperature 0, top_k 1, top_p 0, or all
  three unset;
- otherwise `temperature or 1.0`, `top_p or 1.0`, `top_k or vocab_size` (0 is the whole vocabulary);
- the logits are divided by `max(temperature, 1e-5)`;
- top-k (when k < vocabulary): every logit below the k-th largest becomes -inf (ties stay);
- top-p (when p < 1): sorted in descending order, a token is removed when the cumulative
  probability *including* the token before it exceeds p (the first token always stays);
- softmax, then one multinomial draw from the shared generator.

`min_p` is not read by TorchSampler in 1.2.1; the C++ decoder behind TRTLLMSampler applies it
(removing tokens whose probability is below min_p times the largest, after temperature). Read, not
run: nothing here comes from a GPU."""

import math

TEMPERATURE_FLOOR = 1e-5


def probabilities(logits, temperature, top_k, top_p, min_p=None):
    """The sampling probabilities of `logits` (ordered from most to least likely, distinct values),
    as a list of the same length; a stochastic sampler's fields as SamplingParams carries them."""
    size = len(logits)
    temperature = temperature or 1.0
    top_p = top_p or 1.0
    top_k = top_k or size
    scaled = [value / max(temperature, TEMPERATURE_FLOOR) for value in logits]
    if top_k < size:
        threshold = sorted(scaled, reverse=True)[top_k - 1]
        scaled = [value if value >= threshold else -math.inf for value in scaled]
    if top_p < 1:
        order = sorted(range(size), key=lambda i: -scaled[i])
        weights = _softmax([scaled[i] for i in order])
        cumulative = 0.0
        for rank, i in enumerate(order):
            if rank > 0 and cumulative > top_p:
                scaled[i] = -math.inf
            cumulative += weights[rank]
    result = _softmax(scaled)
    if min_p:
        floor = min_p * max(result)
        result = _softmax([value if p >= floor else -math.inf for value, p in zip(scaled, result)])
    return result


def _softmax(values):
    top = max(values)
    weights = [math.exp(value - top) if value != -math.inf else 0.0 for value in values]
    total = sum(weights)
    return [weight / total for weight in weights]
