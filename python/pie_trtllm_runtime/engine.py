"""Serves parsed forward batches through TensorRT-LLM's `LLM` (the same code for the real and the
simulated one).

Steps are answered from each context's stream (`TokenStream`), which runs ahead of the program
under the step's sampler; a step waits only for tokens not made yet, and never for more than it
needs. Greedy steps always may be (with lookahead on); stochastic ones when the configured sampler
reads no seed (TorchSampler, 1.2.1's default): a token a stream drew under the same sampler on the
same prefix is then exactly the one draw the step asks for, while a sampler that honours seeds
promises reproducible draws, which only one request per token with a per-step seed keeps. Other
steps get one engine request per token. A batch is served in waves that hold each context at most
once; the requests of a wave that need the engine are submitted together before any is waited for,
as `LLM.generate` does."""

import logging

from .batch import Request
from .codes import ENGINE_ERROR, INVALID_REQUEST, RequestError
from .engine_requests import EngineRequests, engine_failure
from .token_stream import FAILED, IDLE, RUNNING, TokenStream
from .history import Context, HistoryStore
from .iteration_stats_drain import IterationStatsDrain
from .lookahead_policy import LookaheadPolicy
from .sampler_support import SamplerSupport
from .sampling import step_seed

log = logging.getLogger("pie_trtllm_runtime.engine")


class ModelInfo:
    """Facts about the served model that requests need."""

    def __init__(self, arch_name, vocab_size, max_model_len, end_id, pad_id):
        self.arch_name = arch_name
        self.vocab_size = vocab_size
        self.max_model_len = max_model_len
        self.end_id = end_id
        self.pad_id = pad_id


class Engine:
    def __init__(self, llm, sampling_params_cls, model, options, random_seed, name, version, statistics=None, world_size=1):
        self.llm = llm
        self.world_size = world_size  # ranks the LLM was asked for (tensor × pipeline × context parallel)
        self.engine_name = name
        self.engine_version = version
        # The simulated engine's own counts, through an explicit interface (None for the real one).
        self.engine_statistics = statistics
        self.sampler_support = SamplerSupport.from_options(options)
        self._sampling_params = sampling_params_cls
        self.model = model
        self._cache_salt = bool(options.get("enable_cache_salt", True))
        self._max_history = options.get("max_history_tokens")
        self.policy = LookaheadPolicy.from_options(options)
        self._random_seed = random_seed
        # LLM.generate refuses a prompt longer than max_num_tokens unless chunked prefill is on
        # (llm_kwargs wins over the curated options, as in the LLM arguments).
        kwargs = options.get("llm_kwargs") or {}
        chunked = kwargs.get("enable_chunked_prefill", options.get("enable_chunked_prefill"))
        self._prompt_limit = None if chunked else int(kwargs.get("max_num_tokens", options.get("max_num_tokens")) or 8192)
        # The longest prefix a step may have, in every mode: its one-token request's prompt must fit
        # max_num_tokens (without chunked prefill) and leave room for one token in max_model_len.
        # Streams and answered-ahead chains stop there too, so where a program is refused never
        # depends on how its tokens were made.
        self.longest_prefix = model.max_model_len - 1 if self._prompt_limit is None else min(model.max_model_len - 1, self._prompt_limit)
        self.histories = HistoryStore(int(options.get("max_session_histories", 65536)), self._max_history, on_drop=self._dropped_context)
        self.requests = EngineRequests(llm, self._new_params, self.policy, model.max_model_len, self._prompt_limit)
        self._closing = None  # within a wave: streams of contexts dropped by it, closed once its tokens are read
        self.executor_watch = None  # ExecutorWatch of the process that serves this engine, if any
        self.tokens_returned = 0
        self.lookahead_hits = 0  # steps answered from a stream with a token that was already made
        self.stream_waits = 0  # steps served by a stream that waited for their token
        self.streams_started = 0
        # The same, for stochastic steps alone (they are counted in the totals above too).
        self.sampling_hits = 0
        self.sampling_waits = 0
        self.sampling_streams_started = 0
        # TensorRT-LLM makes iteration statistics (KV cache blocks among them) only when asked to.
        self.iteration_stats = IterationStatsDrain(llm, kwargs.get("enable_iter_perf_stats") is True, lambda: self.engine_calls > 0)

    @property
    def engine_calls(self):
        return self.requests.calls

    @property
    def engine_tokens(self):
        return self.requests.tokens

    @property
    def engine_tokens_wasted(self):
        return self.requests.wasted

    def kv_cache(self):
        return self.iteration_stats.kv_cache()

    # -- forward ---------------------------------------------------------------------------

    def forward(self, requests):
        """One result per entry of `requests` (Request or RequestError): a token list or a RequestError."""
        results = [None] * len(requests)
        for wave in self._waves(requests, results):
            self._run_wave(wave, requests, results)
        return results

    def streamed(self, sampler):
        """Whether steps of this sampler are served from streams."""
        policy = self.policy
        if sampler.greedy:
            return policy.enabled
        return policy.streaming and not self.sampler_support.seeded

    def decode_step(self, context_ids, tokens, positions, sampler):
        """A decode step on distinct contexts with one sampler (batch.decode_columns): a request
        whose token extends its context's stream and whose next token is made already is answered
        here, as `forward` would answer it; every other request goes through `forward`."""
        answers = self.lookahead_answers(context_ids, tokens, positions, sampler)
        if answers is not None and None in answers:
            contexts = self.histories.contexts
            new = sum(1 for i, answer in enumerate(answers) if answer is None and context_ids[i] not in contexts)
            if new and len(contexts) + new > self.histories.max_contexts:
                # A new context will evict: which one depends on the order requests are served in,
                # so the whole step takes the general path, in request order.
                answers = None
        if answers is None:
            rest = range(len(context_ids))
            results = [None] * len(context_ids)
        else:
            self.commit_lookahead(context_ids, tokens, positions, answers, sampler)
            rest = [i for i, answer in enumerate(answers) if answer is None]
            results = [None if answer is None else [answer] for answer in answers]
        if rest:
            others = self.forward([Request(context_ids[i], [tokens[i]], [positions[i]], sampler) for i in rest])
            for i, result in zip(rest, others):
                results[i] = result
            if answers is not None:
                # Hits were recorded first: restore recency to request order, as the general path has it.
                move_to_end, contexts = self.histories.contexts.move_to_end, self.histories.contexts
                for context_id in context_ids:
                    if context_id in contexts:
                        move_to_end(context_id)
        return results

    def lookahead_answers(self, context_ids, tokens, positions, sampler):
        """For each request of a decode step on distinct contexts, the next token its context's
        stream has made already under this sampler, or None when the request needs more (None for
        the whole step when this sampler is not served from streams). Changes nothing:
        `commit_lookahead` records the answers."""
        if not self.streamed(sampler):
            return None
        key = sampler.stream_key
        get = self.histories.contexts.get
        vocab_size = self.model.vocab_size
        longest = self.longest_prefix
        answers = [None] * len(context_ids)
        for i, context_id in enumerate(context_ids):
            context = get(context_id)
            stream = context.stream if context is not None else None
            if stream is None or stream.sampler_key != key:
                continue  # another sampler's stream ends before this step is answered: the general path
            position, token = positions[i], tokens[i]
            confirmed = context.confirmed
            if token >= vocab_size or position > confirmed or position >= longest:
                continue  # the general path refuses a step past the longest prefix
            if position == confirmed:
                if stream.token_at(position) != token:
                    continue  # the program leaves the stream: the general path closes it
            elif context.tokens[position] != token:
                continue
            if stream.serves(position + 1):
                answers[i] = stream.token_at(position + 1)
        return answers

    def commit_lookahead(self, context_ids, tokens, positions, answers, sampler):
        """Records the answered requests as `forward` would: the context becomes most recently
        used, its history grows by the request's token, the stream knows what was taken."""
        contexts = self.histories.contexts
        get, move_to_end = contexts.get, contexts.move_to_end
        hits = 0
        due = []
        for i, answer in enumerate(answers):
            if answer is None:
                continue
            context_id, position = context_ids[i], positions[i]
            context = get(context_id)
            move_to_end(context_id)
            if position == context.confirmed:
                context.tokens.append(tokens[i])
                context.confirmed += 1
            if self.taken(context.stream, position + 1):
                due.append(context.stream)
            hits += 1
        if due:
            self.requests.resume_all(due)
        self.lookahead_hits += hits
        self.tokens_returned += hits
        if not sampler.greedy:
            self.sampling_hits += hits

    def taken(self, stream, position):
        """Records that the program got the stream's token at `position`. True when the stream is
        idle and should be continued: its program is within `lookahead_tokens` of its end."""
        taken = position + 1 - stream.base
        if taken > stream.taken:
            stream.taken = taken
        return (stream.state is IDLE and self.policy.streaming and len(stream.tokens) - taken <= stream.continue_within
                and stream.end <= self.longest_prefix)  # else it made every token a step may get

    @staticmethod
    def _waves(requests, results):
        """Request indices in arrival order, cut into runs that hold each context at most once. A
        run ends where a context comes again, so serving the runs in turn serves every request in
        the order it came, evictions included."""
        usable = [i for i, r in enumerate(requests) if type(r) is not RequestError]
        if len(usable) < len(requests):
            for i, r in enumerate(requests):
                if type(r) is RequestError:
                    results[i] = r
        if len({requests[i].context_id for i in usable}) == len(usable):
            return [usable] if usable else []  # the usual batch: every context once
        waves = [[]]
        seen = set()
        for index in usable:
            context_id = requests[index].context_id
            if context_id in seen:
                waves.append([])
                seen = set()
            seen.add(context_id)
            waves[-1].append(index)
        return waves

    def _run_wave(self, wave, requests, results):
        self._closing = []
        try:
            self._serve_wave(wave, requests, results)
        finally:
            closing, self._closing = self._closing, None
            for stream in closing:
                self.requests.close(stream)

    def _serve_wave(self, wave, requests, results):
        from_streams = []  # (request index, stream, position of the token it needs)
        one_shot = []  # (request index, context, prefix length, prompt, sampler)
        contexts = self.histories.contexts
        get, move_to_end, adopt = contexts.get, contexts.move_to_end, self.histories.adopt
        streamed = self.streamed
        vocab_size = self.model.vocab_size
        for index in wave:
            request = requests[index]
            context_id = request.context_id
            context = get(context_id)
            if context is not None:
                move_to_end(context_id)  # most recently used
            try:
                tokens = request.tokens
                highest = tokens[0] if len(tokens) == 1 else max(tokens, default=0)
                if highest >= vocab_size:
                    raise RequestError(INVALID_REQUEST, "token id %d is outside the vocabulary (0..%d)" % (highest, vocab_size - 1))
                if context is None:
                    context = Context(context_id)
                    context.merge(request.positions, tokens)
                    adopt(context)  # stored only once its first request merged
                else:
                    before = context.confirmed
                    changed = context.merge(request.positions, tokens)
                    if context.stream is not None and not self._follows(context, before, changed):
                        self._leave_stream(context)  # the program left the stream's tokens
                sampler = request.sampler
                if sampler is None:
                    context.trim(self._max_history)
                    results[index] = []  # prefill only: recorded for replay
                    continue
                prefix_len = request.positions[-1] + 1
                stream = context.stream
                if not sampler.greedy:
                    self.sampler_support.check(sampler)
                if prefix_len > self.longest_prefix:
                    self._check_step(context_id, prefix_len)
                if stream is not None and stream.sampler_key != sampler.stream_key:
                    self._leave_stream(context)  # another sampler: its tokens are not this step's draws
                    stream = None
                if streamed(sampler):
                    if stream is not None and stream.base <= prefix_len and stream.serves(prefix_len):
                        from_streams.append((index, stream, prefix_len))
                        continue
                    if prefix_len == context.confirmed and (stream is None or stream.greedy):
                        from_streams.append((index, self._new_stream(context, prefix_len, sampler), prefix_len))
                        continue
                    # Asked again below its head, or for a draw its stream handed out already:
                    # one token of its own, the stream left alone.
                one_shot.append((index, context, prefix_len, context.prompt(prefix_len), sampler))
                context.trim(self._max_history)  # once its prompt is built
            except RequestError as error:
                if context is not None:
                    context.trim(self._max_history)
                results[index] = error
        future = self._submit_one_shot(one_shot, results) if one_shot else None
        for _, stream, position in from_streams:
            if stream.state is IDLE and stream.token_at(position) is None:
                self.requests.resume(stream)  # every miss of the wave goes to the engine before any is waited for
        for index, stream, position in from_streams:
            results[index] = self._stream_token(stream, position)
        if future is not None:
            self._collect_one_shot(one_shot, future.result(), results)

    def _follows(self, context, before, changed):
        """Whether the stream still continues the history after a merge: nothing it was built on
        changed, and every token written since is the one it made."""
        if changed is not None:
            return False
        stream, history, offset = context.stream, context.tokens, context.offset
        for position in range(max(before, stream.base), context.confirmed):
            if stream.token_at(position) != history[position - offset]:
                return False
        return True

    def _new_stream(self, context, prefix_len, sampler):
        if context.stream is not None:
            self._drop_stream(context)
        stream = TokenStream(context.context_id, context.prompt(prefix_len), str(context.context_id) if self._cache_salt else None,
                             (sampler.sampling_kwargs(), self.model.end_id, self.model.pad_id), sampler.stream_key, sampler.greedy,
                             *self.policy.first_request(context.run_hint))
        context.stream = stream
        self.streams_started += 1
        if not sampler.greedy:
            self.sampling_streams_started += 1
        self.requests.start(stream)
        return stream

    def _check_step(self, context_id, prefix_len):
        """Refuses a step whose prefix is above `longest_prefix`, saying which limit it passed."""
        if self.model.max_model_len - prefix_len <= 0:
            raise RequestError(INVALID_REQUEST, "context %d is at position %d, the model's limit is %d tokens"
                               % (context_id, prefix_len, self.model.max_model_len))
        if self._prompt_limit is not None and prefix_len > self._prompt_limit:
            raise RequestError(
                INVALID_REQUEST,
                "context %d needs a %d-token prompt, above max_num_tokens (%d) without chunked prefill; "
                "set options.enable_chunked_prefill = true or raise options.max_num_tokens" % (context_id, prefix_len, self._prompt_limit),
            )

    def _dropped_context(self, context):
        """A context released, evicted or overwritten by a fork. Within a wave its stream may hold a
        request of the same wave (a batch of more new contexts than fit evicts its own members):
        it is closed once the wave's tokens are read."""
        if self._closing is None:
            self._drop_stream(context)
        else:
            stream, context.stream = context.stream, None
            if stream is not None:
                self._closing.append(stream)

    def _drop_stream(self, context):
        stream, context.stream = context.stream, None
        if stream is not None:
            self.requests.close(stream)

    def _leave_stream(self, context):
        """The program left its stream (another token, another sampler): closed, and how many of
        its tokens the program took is kept to size the context's next stream."""
        context.run_hint = context.stream.taken
        self._drop_stream(context)

    def _stream_token(self, stream, position):
        """The stream's token at `position`, waiting for it if it is not made yet; a RequestError
        when the stream cannot make it."""
        token = stream.token_at(position)
        if token is not None:
            self.lookahead_hits += 1
            if not stream.greedy:
                self.sampling_hits += 1
        else:
            self.stream_waits += 1
            if not stream.greedy:
                self.sampling_waits += 1
            while token is None and stream.state in (RUNNING, IDLE):
                if stream.state is IDLE:
                    self.requests.resume(stream)
                self.requests.wait(stream, position + 1 - stream.base)
                token = stream.token_at(position)
            if token is None:
                error = stream.error if stream.state is FAILED and stream.error is not None else \
                    RequestError(ENGINE_ERROR, "TensorRT-LLM made no token for context %d at position %d" % (stream.context_id, position))
                context = self.histories.contexts.get(stream.context_id)
                if context is not None and context.stream is stream:
                    self._drop_stream(context)  # the next request starts afresh
                return error
        if self.taken(stream, position) and (self._closing is None or stream not in self._closing):
            self.requests.resume(stream)
        self.tokens_returned += 1
        return [token]

    # -- one token per engine request ------------------------------------------------------

    def _new_params(self, kwargs, max_tokens):
        return self._sampling_params(
            max_tokens=max_tokens,
            end_id=self.model.end_id,
            pad_id=self.model.pad_id,
            ignore_eos=True,  # Pie decides when a sequence ends
            detokenize=False,
            add_special_tokens=False,
            **kwargs,
        )

    def _one_shot_params(self, context, prefix_len, sampler):
        kwargs = sampler.sampling_kwargs()
        if not sampler.greedy and self.sampler_support.seeded:
            # A seed per step: successive steps draw independently yet reproducibly. Under a
            # sampler that reads no seed, none is sent, so nothing claims reproducibility.
            base = sampler.seed if sampler.seed else self._random_seed
            kwargs["seed"] = step_seed(base, context.context_id, prefix_len)
        return self._new_params(kwargs, 1)

    def _submit_one_shot(self, one_shot, results):
        items = []
        try:
            for _, context, prefix_len, prompt, sampler in one_shot:
                items.append((prompt, self._one_shot_params(context, prefix_len, sampler), str(context.context_id) if self._cache_salt else None))
        except Exception as error:  # parameters the engine refuses fail these requests only
            log.exception("building SamplingParams failed")
            failure = engine_failure(error)
            for entry in one_shot:
                results[entry[0]] = failure
            one_shot.clear()
            return None
        return self.requests.one_shot(items)

    def _collect_one_shot(self, one_shot, outcomes, results):
        for (index, context, _prefix_len, _prompt, _sampler), outcome in zip(one_shot, outcomes):
            if isinstance(outcome, Exception):
                results[index] = engine_failure(outcome)
            elif not outcome:
                results[index] = RequestError(ENGINE_ERROR, "TensorRT-LLM returned no token for context %d" % context.context_id)
            else:
                self.tokens_returned += 1
                results[index] = [outcome[0]]

    # -- context operations ----------------------------------------------------------------

    def release(self, context_ids):
        return self.histories.release(context_ids)

    def fork(self, parent, child, length):
        self.histories.fork(parent, child, length)

    def shutdown(self):
        if self.executor_watch is not None:
            self.executor_watch.stop()  # the workers end from here on, as asked
        self.iteration_stats.stop()
        self.requests.shutdown()
        shutdown = getattr(self.llm, "shutdown", None)
        if shutdown is not None:
            shutdown()
