"""What the simulated executor was asked, request by request, for tests that check the engine's
side of the driver (which requests were submitted, with which parameters, which were aborted, how
many tokens each made), independently of the tokens a program got. Not part of TensorRT-LLM's
API: kept only when PIE_TRTLLM_SIMULATE_LEDGER is set, so long runs hold no record of every
request."""

import os

LEDGER_VARIABLE = "PIE_TRTLLM_SIMULATE_LEDGER"


class RequestRecord:
    """One `generate_async` call as the executor received it."""

    __slots__ = ("request_id", "prompt", "max_tokens", "streaming", "params", "cache_salt", "_result", "_request")

    def __init__(self, request_id, prompt, max_tokens, streaming, params, cache_salt, result, request):
        self.request_id = request_id
        self.prompt = tuple(prompt)
        self.max_tokens = max_tokens  # as asked
        self.streaming = streaming
        self.params = params  # the SamplingParams fields a driver sets
        self.cache_salt = cache_salt
        self._result = result
        self._request = request

    @property
    def aborted(self):
        """Whether the driver asked the executor to abort it."""
        return self._result.aborted()

    @property
    def made(self):
        """The tokens the executor generated for it so far."""
        return list(self._request.made)

    @property
    def finished(self):
        return self._request.done or self._request.cancelled

    def __repr__(self):
        return "RequestRecord(id=%d, prompt=%d tokens, max_tokens=%r, streaming=%r, made=%d, aborted=%r)" % (
            self.request_id, len(self.prompt), self.max_tokens, self.streaming, len(self._request.made), self.aborted)


def new_ledger():
    """A list to record requests in, or None when recording is off."""
    return [] if os.environ.get(LEDGER_VARIABLE) else None


def sampling_fields(params):
    return {name: getattr(params, name, None) for name in ("temperature", "top_k", "top_p", "min_p", "seed", "end_id", "pad_id", "ignore_eos", "detokenize")}
