"""The one thread that talks to TensorRT-LLM: it submits requests, aborts them and reads their
responses, for the greedy streams and for one-token requests alike.

Every call into the `LLM` object happens on this thread, inside its asyncio event loop: 1.2.1's
request queue to the executor is a ZeroMQ socket, which one thread must own, and a result created
inside a running loop gets an async queue (tensorrt_llm/executor/result.py @ a678b91a), read here
with `async for` / `aresult()` on that same loop, as 1.2.1 expects. Only the public API is used:
`generate_async(..., streaming=..., cache_salt=...)`, iteration of the `RequestOutput`,
`outputs[0].token_ids` (cumulative), `finish_reason`, `abort()`.

The runtime's main thread asks for work with `start`, `resume`, `close` and `one_shot`, and waits
with `wait` (one stream at a time) or on a one-shot batch's future. Tokens are appended to
`TokenStream.tokens` as responses arrive, so a step is answered as soon as its token exists."""

import asyncio
import concurrent.futures
import logging
import threading

from .codes import ENGINE_ERROR, INVALID_REQUEST, RequestError
from .token_stream import CLOSED, FAILED, IDLE, RUNNING

log = logging.getLogger("pie_trtllm_runtime.engine_requests")



def engine_failure(error):
    return RequestError(ENGINE_ERROR, "TensorRT-LLM failed this request: %s: %s" % (type(error).__name__, error))


class EngineRequests:
    def __init__(self, llm, new_params, policy, max_model_len, prompt_limit):
        self._llm = llm
        self._new_params = new_params  # (sampling kwargs, max_tokens) -> SamplingParams
        self._policy = policy
        self._max_model_len = max_model_len
        self._prompt_limit = prompt_limit  # longest prompt without chunked prefill, or None
        self._cond = threading.Condition()
        self._waiting = None  # the stream the main thread waits on
        self.calls = 0  # engine requests submitted
        self.tokens = 0  # tokens the engine delivered
        self.wasted = 0  # tokens of closed streams that their programs never took
        self.continuations = 0  # stream requests started after an earlier one of the same stream
        self._loop = asyncio.new_event_loop()
        self._readers = {}  # handle of each stream request not read to its end -> the task reading it
        self._thread = threading.Thread(target=self._serve, name="engine-requests", daemon=True)
        self._thread.start()

    # -- the main thread's side -------------------------------------------------------------

    def start(self, stream):
        """Starts a new stream's first request."""
        self._loop.call_soon_threadsafe(self._submit, stream)

    def resume(self, stream):
        """Continues an idle stream with its next request (a miss, or a program that came within
        reach of its end)."""
        self.resume_all((stream,))

    def resume_all(self, streams):
        """`resume` for several streams, in one hop to the engine thread."""
        with self._cond:
            idle = [stream for stream in streams if stream.state is IDLE]
            for stream in idle:
                stream.state = RUNNING
                stream.kept_up = False  # its last request ended with its program further behind
        if idle:
            self._loop.call_soon_threadsafe(self._submit_all, idle)

    def _submit_all(self, streams):
        for stream in streams:
            self._submit(stream)

    def close(self, stream):
        """The program no longer follows this stream: its request in flight is aborted."""
        with self._cond:
            if stream.state is CLOSED:
                return
            stream.state = CLOSED
            handle, stream.handle = stream.handle, None
        try:
            self._loop.call_soon_threadsafe(self._closed, stream, handle)
        except RuntimeError:  # the loop is closed: the runtime is shutting down
            pass

    def _closed(self, stream, handle):
        """On the engine thread, which alone appends tokens: after this no token reaches the stream,
        so what it made and its program never took is counted as wasted once, exactly."""
        if handle is not None:
            self._abort(handle)
        self.wasted += len(stream.tokens) - stream.taken

    def one_shot(self, items):
        """Submits `(prompt, params, salt)` requests together and returns a future of their
        results in order: the generated token list, or the exception that failed the request."""
        future = concurrent.futures.Future()
        self._loop.call_soon_threadsafe(self._start_one_shot, items, future)
        return future

    def wait(self, stream, count):
        """Returns once the stream holds `count` tokens or will get no more without being resumed."""
        tokens = stream.tokens
        if len(tokens) >= count or stream.state is not RUNNING:
            return
        with self._cond:
            self._waiting = stream
            try:
                while len(tokens) < count and stream.state is RUNNING:
                    self._cond.wait()
            finally:
                self._waiting = None

    def idle(self, timeout=10.0):
        """Returns once nothing is in flight: every request read to its end and no continuation
        pending (with the clock off, at once; tests use it to read counts that settle)."""
        asyncio.run_coroutine_threadsafe(self._quiet(), self._loop).result(timeout)

    async def _quiet(self):
        while self._readers:
            await asyncio.sleep(0)

    def shutdown(self):
        """Aborts what is in flight and stops the thread (the LLM itself is shut down after)."""
        if not self._thread.is_alive():
            return
        try:
            self._loop.call_soon_threadsafe(self._stop)
        except RuntimeError:  # the loop is closed already
            return
        self._thread.join()

    # -- the engine thread ------------------------------------------------------------------

    def _serve(self):
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
        finally:
            tasks = asyncio.all_tasks(self._loop)
            for task in tasks:
                task.cancel()
            if tasks:
                self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self._loop.close()

    def _stop(self):
        for handle in list(self._readers):
            self._abort(handle, stop_reading=True)
        self._loop.stop()

    def _notify(self, stream):
        if self._waiting is stream:
            with self._cond:
                self._cond.notify()

    def _set_state(self, stream, state, error=None):
        with self._cond:
            if stream.state is not RUNNING:
                return False
            stream.state = state
            stream.error = error
            stream.handle = None
        self._notify(stream)
        return True

    def _next_request(self, stream):
        """(prompt, max_tokens) of the stream's next request, or a RequestError saying why none can run."""
        prompt = stream.prompt + stream.tokens if stream.tokens else stream.prompt
        room = self._max_model_len - len(prompt)
        if room <= 0:
            return RequestError(INVALID_REQUEST, "context %d is at position %d, the model's limit is %d tokens"
                                % (stream.context_id, len(prompt), self._max_model_len))
        if self._prompt_limit is not None and len(prompt) > self._prompt_limit:
            return RequestError(INVALID_REQUEST, "context %d needs a %d-token prompt, above max_num_tokens (%d) without chunked prefill; "
                                "set options.enable_chunked_prefill = true or raise options.max_num_tokens"
                                % (stream.context_id, len(prompt), self._prompt_limit))
        if self._prompt_limit is not None:
            room = min(room, self._prompt_limit + 1 - len(prompt))  # no step past the limit may take more
        return prompt, min(self._policy.request_tokens(stream), room)

    def _submit(self, stream):
        if stream.state is not RUNNING:
            return  # closed before its turn came
        request = self._next_request(stream)
        if isinstance(request, RequestError):
            self._set_state(stream, FAILED, request)
            return
        prompt, max_tokens = request
        kwargs, end_id, pad_id = stream.params
        try:
            params = self._new_params(kwargs, max_tokens)
            if stream.salt is not None:
                handle = self._llm.generate_async(prompt, sampling_params=params, streaming=self._policy.streaming, cache_salt=stream.salt)
            else:
                handle = self._llm.generate_async(prompt, sampling_params=params, streaming=self._policy.streaming)
        except Exception as error:  # this stream fails; the runtime and the other streams go on
            log.exception("generate_async failed for context %d", stream.context_id)
            self._set_state(stream, FAILED, engine_failure(error))
            return
        self.calls += 1
        if stream.requests:
            self.continuations += 1
            stream.continue_within = self._policy.run_ahead
        stream.requests += 1
        with self._cond:
            closed = stream.state is not RUNNING
            if not closed:
                stream.handle = handle
        if closed:
            self._abort(handle)  # closed while it was being submitted
            return
        self._readers[handle] = self._loop.create_task(self._consume(stream, handle))

    async def _consume(self, stream, handle):
        """Reads one request's responses to its end (an aborted one too, so 1.2.1 can let it go),
        then continues the stream, leaves it idle, or fails it."""
        try:
            reason = await self._read(stream, handle)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.exception("reading TensorRT-LLM's responses failed for context %d", stream.context_id)
            if stream.handle is handle:
                self._set_state(stream, FAILED, engine_failure(error))
            return
        finally:
            self._readers.pop(handle, None)
        if stream.handle is not handle:
            return  # aborted: the stream was closed and its tokens dropped
        if reason == "cancelled":
            self._set_state(stream, FAILED, RequestError(ENGINE_ERROR, "TensorRT-LLM cancelled the request of context %d" % stream.context_id))
            return
        policy = self._policy
        if policy.streaming and stream.untaken() <= stream.continue_within:
            with self._cond:
                if stream.state is not RUNNING:
                    return
                stream.handle = None
            stream.kept_up = True
            self._submit(stream)  # the program keeps up: continue at once
        else:
            self._set_state(stream, IDLE)

    async def _read(self, stream, handle):
        """Appends the request's tokens to the stream while the stream follows it; its finish reason."""
        tokens = stream.tokens
        received = 0
        if self._policy.streaming:
            async for output in handle:
                made = output.outputs[0].token_ids  # cumulative
                count = len(made)
                if count > received:
                    self.tokens += count - received
                    if stream.handle is handle:
                        tokens += made[received:count]
                        if self._waiting is stream:
                            self._notify(stream)
                    else:
                        self.wasted += count - received  # made after the stream was closed
                    received = count
        else:
            await handle.aresult()
            made = handle.outputs[0].token_ids
            self.tokens += len(made)
            if stream.handle is handle:
                tokens += made
            else:
                self.wasted += len(made)
        return handle.outputs[0].finish_reason

    def _abort(self, handle, stop_reading=False):
        """Cancels a request. Its reader reads on to the final response (1.2.1's proxy lets go of a
        request there), counting the tokens the executor made before the cancel reached it as
        wasted, so waste is what the engine computed for nothing, not only what had arrived; at
        shutdown (`stop_reading`) the reader stops at once."""
        try:
            handle.abort()
        except Exception:  # already finished, or the executor is gone: nothing to cancel
            log.debug("abort failed", exc_info=True)
        if stop_reading:
            reader = self._readers.pop(handle, None)
            if reader is not None:
                reader.cancel()

    def _start_one_shot(self, items, future):
        self._loop.create_task(self._one_shot(items, future))

    async def _one_shot(self, items, future):
        results = [None] * len(items)
        handles = []
        for i, (prompt, params, salt) in enumerate(items):
            try:
                if salt is not None:
                    handle = self._llm.generate_async(prompt, sampling_params=params, cache_salt=salt)
                else:
                    handle = self._llm.generate_async(prompt, sampling_params=params)
                self.calls += 1
                handles.append((i, handle))
            except Exception as error:
                log.exception("generate_async failed")
                results[i] = error
        try:
            for i, handle in handles:
                try:
                    await handle.aresult()
                    results[i] = list(handle.outputs[0].token_ids)
                    self.tokens += len(results[i])
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    log.exception("reading TensorRT-LLM's result failed")
                    results[i] = error
        finally:
            if not future.done():
                if any(r is None for r in results):
                    results = [RuntimeError("the runtime is shutting down") if r is None else r for r in results]
                future.set_result(results)
