"""In-flight batching as TensorRT-LLM 1.2.1's PyTorch executor does it, under an iteration clock.

Facts (tensorrt_llm/_torch/pyexecutor/py_executor.py and executor/*.py of the 1.2 line, summarised
with revisions in the project's reference notes on streaming):
- every request in the batch gets one token per iteration; a request submitted before an
  iteration starts joins it, and its first token comes from that iteration (prefill included);
- with the overlap scheduler (the default; `disable_overlap_scheduler=True` turns it off) the
  responses of an iteration are made after the next one has run, so a token reaches the caller one
  iteration after it was made, and a request that has made its last token still takes a slot (and
  computes a discarded token) in the iteration after;
- a streaming request gets a response at its first token, every `stream_interval` iterations and
  at its end; a non-streaming one only at its end;
- an abort is fetched at the start of the next iteration; the request ends in that iteration with
  finish_reason 'cancelled', its final response carrying what it had made and not yet delivered
  (with the overlap scheduler, one more token);
- the default capacity policy (GUARANTEED_NO_EVICT) reserves KV cache for the prompt plus
  `max_tokens` for as long as the request lives.

With the clock off (tests), iterations take no time: a request runs to its end when it is
submitted and all its responses are queued at once."""

import threading
import time

from .result_queues import deliver_all, dispatch

LENGTH, STOP, CANCELLED = "length", "stop", "cancelled"


class EngineRequest:
    """One request inside the executor."""

    __slots__ = ("result", "prompt_length", "max_tokens", "streaming", "source", "made", "delivered", "done",
                 "reason", "cancelled", "stop_id")

    def __init__(self, result, prompt_length, max_tokens, streaming, source, stop_id):
        self.result = result
        self.prompt_length = prompt_length
        self.max_tokens = max_tokens
        self.streaming = streaming
        self.source = source  # the request's tokens: `next()`, or `take(n)` for many
        self.stop_id = stop_id  # the end id when the request stops at it, else None
        self.made = []
        self.delivered = 0
        self.done = False  # made its last token
        self.reason = None
        self.cancelled = False

    def make_token(self):
        token = self.source.next()
        if token == self.stop_id:
            self.done, self.reason = True, STOP  # the end id is left out of the output
            return
        self.made.append(token)
        if len(self.made) >= self.max_tokens:
            self.done, self.reason = True, LENGTH

    def response(self, visible, interval):
        """The response due once `visible` tokens can be delivered, or None."""
        final = self.cancelled or (self.done and visible == len(self.made))
        if final:
            return self.made[self.delivered:visible], True, CANCELLED if self.cancelled else self.reason
        if not self.streaming or visible <= self.delivered or not (visible == 1 or visible % interval == 0):
            return None
        return self.made[self.delivered:visible], False, None


class BatcherStatistics:
    """What the executor did, for `status` and the benchmark's waste and KV figures."""

    __slots__ = ("requests", "iterations", "computed_tokens", "delivered_tokens", "cancelled", "reserved_tokens",
                 "peak_reserved_tokens", "reserved_token_iterations", "used_token_iterations", "active", "peak_active",
                 "request_iterations")

    def __init__(self):
        self.requests = self.iterations = self.computed_tokens = self.delivered_tokens = self.cancelled = 0
        self.reserved_tokens = self.peak_reserved_tokens = self.reserved_token_iterations = self.used_token_iterations = 0
        self.active = self.peak_active = self.request_iterations = 0

    def iterated(self, active):
        """One iteration ran with `active` requests: KV cache reserved (prompt + max_tokens each)
        and used (prompt + tokens made) over time, for the benchmark."""
        self.iterations += 1
        self.reserved_token_iterations += self.reserved_tokens
        self.used_token_iterations += sum(request.prompt_length + len(request.made) for request in active)
        self.request_iterations += self.active

    def joined(self, request):
        self.active += 1
        self.reserved_tokens += request.prompt_length + request.max_tokens
        self.peak_active = max(self.peak_active, self.active)
        self.peak_reserved_tokens = max(self.peak_reserved_tokens, self.reserved_tokens)

    def left(self, request):
        request.result = None  # the result may outlive the request, never the other way round
        self.active -= 1
        self.reserved_tokens -= request.prompt_length + request.max_tokens
        if request.cancelled:
            self.cancelled += 1

    def as_dict(self):
        return {name: getattr(self, name) for name in self.__slots__}


class InFlightBatcher:
    def __init__(self, clock, overlap=True, stream_interval=1, iteration_statistics=None):
        if isinstance(stream_interval, bool) or not isinstance(stream_interval, int) or stream_interval < 1:
            raise ValueError("stream_interval must be a positive integer, got %r" % (stream_interval,))
        self.clock = clock
        self.overlap = overlap
        self.stream_interval = stream_interval
        self.statistics = BatcherStatistics()
        self.iteration_statistics = iteration_statistics  # what LLM.get_stats reports, or None
        self._lock = threading.Condition()
        self._arrivals = []  # submitted, not yet fetched
        self._cancels = []
        self._stopping = False
        self._thread = None
        if clock.running:
            self._thread = threading.Thread(target=self._run, name="simulated-executor", daemon=True)
            self._thread.start()

    # -- the caller's side -----------------------------------------------------------------

    def submit(self, request):
        self.statistics.requests += 1
        if self._thread is None:
            self._run_at_once(request)
            return
        with self._lock:
            if self._stopping:
                raise RuntimeError("the executor is shut down")
            self._arrivals.append(request)
            self._lock.notify()

    def cancel(self, request):
        if self._thread is None:
            return  # it ended when it was submitted: "cannot abort it", as 1.2.1 logs
        with self._lock:
            self._cancels.append(request)
            self._lock.notify()

    def shutdown(self):
        with self._lock:
            self._stopping = True
            self._lock.notify()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    # -- clock off -------------------------------------------------------------------------

    def _run_at_once(self, request):
        statistics = self.statistics
        statistics.joined(request)
        if request.stop_id is None:
            request.made = request.source.take(request.max_tokens)  # every token at once, none can stop it
            request.done, request.reason = True, LENGTH
        else:
            while not request.done:
                request.make_token()
        made = request.made
        if self.iteration_statistics is not None:
            self.iteration_statistics.record([request], 0.0)  # its last iteration, before it leaves
        statistics.computed_tokens += len(made) + (1 if self.overlap else 0)  # + the iteration scheduled before the end was known
        result = request.result
        responses = []
        if request.streaming and len(made) > 1:
            # A response per `stream_interval` iterations (the first at the first token), then the final one.
            interval = self.stream_interval
            cuts = [1] + list(range(interval, len(made), interval)) if interval > 1 else range(1, len(made))
            start = 0
            for cut in cuts:
                if cut > start:
                    responses.append((made[start:cut], False, None))
                    start = cut
            responses.append((made[start:], True, request.reason))
        else:
            responses.append((made, True, request.reason))
        request.delivered = len(made)
        statistics.delivered_tokens += len(made)
        statistics.left(request)
        deliver_all(result, responses)

    # -- clock on --------------------------------------------------------------------------

    def _run(self):
        active = []
        lock, clock, statistics = self._lock, self.clock, self.statistics
        start = None
        while True:
            with lock:
                while not (self._arrivals or self._cancels or active or self._stopping):
                    lock.wait()
                    start = None  # idle: the next iteration starts when work comes
                if self._stopping:
                    return
                arrivals, self._arrivals = self._arrivals, []
                cancels, self._cancels = self._cancels, []
            now = time.monotonic()
            if start is None or now - start > clock.iteration_s(len(active)) * 2:
                start = now  # idle before, or far behind: the GPU starts now
            for request in arrivals:
                active.append(request)
                statistics.joined(request)
            for request in cancels:
                request.cancelled = True  # a request not in the batch (ended) is past cancelling
            end = start + clock.iteration_s(len(active))
            delay = end - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            statistics.iterated(active)
            responses = []
            still = []
            overlap, interval = self.overlap, self.stream_interval
            for request in active:
                before = len(request.made)
                if request.cancelled and not overlap:
                    pass  # cancelled before the batch was formed
                elif request.done or request.cancelled:
                    statistics.computed_tokens += 1  # in the batch already; its token is dropped
                else:
                    request.make_token()
                    statistics.computed_tokens += 1
                visible = before if overlap else len(request.made)
                response = request.response(visible, interval)
                if response is not None:
                    request.delivered = visible
                    statistics.delivered_tokens += len(response[0])
                    responses.append((request.result, response))
                    if response[1]:
                        statistics.left(request)
                        continue
                still.append(request)
            if self.iteration_statistics is not None:
                self.iteration_statistics.record(active, end - start)
            active = still
            start = end
            if responses:
                dispatch(responses)
