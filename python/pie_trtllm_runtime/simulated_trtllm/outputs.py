"""`RequestOutput` and `CompletionOutput` of TensorRT-LLM 1.2.1, with the consuming side of
`GenerationResult` (tensorrt_llm/executor/result.py @ a678b91a, and @ 005bc848 for the fields).

A response is `(new_tokens, is_final, finish_reason)`. Each consumed response extends
`outputs[0].token_ids` (cumulative) and sets `token_ids_diff` to the tokens it brought;
`finished` turns true only once the final response is consumed. `result(timeout)` ignores its
timeout on the MPI path of 1.2.1 (PR #16453 fixed that later), so here it does too. Async reading
(`aresult`, `async for`, `await`) needs a result created inside a running loop."""

from .result_queues import new_result_queue


class CompletionOutput:
    __slots__ = ("index", "text", "token_ids", "cumulative_logprob", "logprobs", "prompt_logprobs", "finish_reason",
                 "stop_reason", "_last_token_ids_len")

    def __init__(self, index, token_ids=None, finish_reason=None):
        self.index = index
        self.text = ""
        self.token_ids = token_ids if token_ids is not None else []
        self.cumulative_logprob = None
        self.logprobs = []
        self.prompt_logprobs = []
        self.finish_reason = finish_reason
        self.stop_reason = None
        self._last_token_ids_len = 0

    @property
    def length(self):
        return len(self.token_ids)

    @property
    def token_ids_diff(self):
        return self.token_ids[self._last_token_ids_len:]


class RequestOutput:
    __slots__ = ("request_id", "prompt", "prompt_token_ids", "_outputs", "_done", "_aborted", "_streaming", "_executor",
                 "queue", "aqueue", "decoding_iter", "_engine_request")

    def __init__(self, request_id, prompt_token_ids, streaming, executor):
        self.request_id = request_id
        self.prompt = None
        self.prompt_token_ids = prompt_token_ids
        self._outputs = [CompletionOutput(0)]
        self._done = False
        self._aborted = False
        self._streaming = streaming
        self._executor = executor
        self.decoding_iter = 0
        self._engine_request = None  # the executor's side of this request (what abort cancels)
        self.queue, self.aqueue = new_result_queue()

    @property
    def outputs(self):
        return self._outputs

    @property
    def finished(self):
        return self._done

    def abort(self):
        """Asks the executor to cancel the request; it ends at the executor's next iteration with
        finish_reason 'cancelled' (its final response may still bring a token)."""
        assert self._executor is not None, "The executor is not set for this result."
        self._executor.abort_request(self)
        self._aborted = True

    def aborted(self):
        return self._aborted

    def _handle_response(self, response):
        tokens, is_final, finish_reason = response
        output = self._outputs[0]
        output._last_token_ids_len = len(output.token_ids)
        output.token_ids.extend(tokens)
        self.decoding_iter += 1
        self._done = is_final
        if is_final:
            output.finish_reason = finish_reason

    def _result_step(self, timeout=None):
        self._handle_response(self.queue.get())  # the MPI path's get() takes no timeout

    async def _aresult_step(self):
        assert self.aqueue is not None, "The asyncio event loop was not present during initialization, so async operations are not available."
        self._handle_response(await self.aqueue.get())

    def result(self, timeout=None):
        while not self._done:
            self._result_step(timeout)
        return self

    async def aresult(self):
        while not self._done:
            await self._aresult_step()
        return self

    def __await__(self):
        return self.aresult().__await__()

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        self._result_step()
        return self

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self._done:
            raise StopAsyncIteration
        aqueue = self.aqueue
        if aqueue is not None and aqueue._items:
            self._handle_response(aqueue._items.popleft())  # what `_aresult_step` does, without its awaits
        else:
            await self._aresult_step()
        return self

    def __repr__(self):
        return "RequestOutput(request_id=%r, prompt_token_ids=%r, outputs=%r, finished=%r)" % (
            self.request_id, self.prompt_token_ids, [o.token_ids for o in self._outputs], self._done)
