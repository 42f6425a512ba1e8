"""Serves parsed forward batches through TensorRT-LLM's `LLM.generate`.

One batched `generate` call per wave (a wave holds each context at most once; a batch with no
repeated context is one wave), greedy lookahead, per-step seeds for stochastic samplers. The same
code drives the real `tensorrt_llm.LLM` and the simulated one."""

import logging

from .batch import Request
from .codes import ENGINE_ERROR, INVALID_REQUEST, RequestError
from .history import Context, HistoryStore
from .sampler_support import SamplerSupport
from .sampling import step_seed

LOOKAHEAD_LIMIT = 16

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
        lookahead = int(options.get("lookahead_tokens", LOOKAHEAD_LIMIT))
        # Lookahead needs the whole history to stay exact, so a history cap turns it off.
        self.lookahead = 1 if lookahead <= 1 or self._max_history is not None else min(lookahead, LOOKAHEAD_LIMIT)
        self._random_seed = random_seed
        # LLM.generate refuses a prompt longer than max_num_tokens unless chunked prefill is on
        # (llm_kwargs wins over the curated options, as in the LLM arguments).
        kwargs = options.get("llm_kwargs") or {}
        chunked = kwargs.get("enable_chunked_prefill", options.get("enable_chunked_prefill"))
        self._prompt_limit = None if chunked else int(kwargs.get("max_num_tokens", options.get("max_num_tokens")) or 8192)
        self.histories = HistoryStore(int(options.get("max_session_histories", 65536)), self._max_history)
        self.engine_calls = 0
        self.engine_tokens = 0
        self.tokens_returned = 0
        self.lookahead_hits = 0

    # -- forward ---------------------------------------------------------------------------

    def forward(self, requests):
        """One result per entry of `requests` (Request or RequestError): a token list or a RequestError."""
        results = [None] * len(requests)
        waves = self._waves(requests, results)
        for wave in waves:
            self._run_wave(wave, requests, results)
        return results

    def decode_step(self, context_ids, tokens, positions, sampler):
        """A greedy decode step on distinct contexts (batch.decode_columns): a request whose token
        is already in its context's history and whose next token is in the lookahead buffer is
        answered here, as `forward` would answer it; every other request goes through `forward`."""
        answers = self.lookahead_answers(context_ids, tokens, positions)
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
            self.commit_lookahead(context_ids, positions, answers)
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

    def lookahead_answers(self, context_ids, tokens, positions):
        """For each request of a greedy decode step on distinct contexts, the next token its
        context's lookahead buffer already holds, or None when the request needs the engine
        (None for the whole step when lookahead is off). Changes nothing: `commit_lookahead`
        records the answers once they are given."""
        if self.lookahead <= 1:
            return None
        get = self.histories.contexts.get
        vocab_size = self.model.vocab_size
        answers = [None] * len(context_ids)
        for i, context_id in enumerate(context_ids):
            context = get(context_id)
            buffer = context.lookahead if context is not None else None
            if buffer is None:
                continue
            position, token = positions[i], tokens[i]
            index = position - context.offset
            history = context.tokens
            offset = position + 1 - buffer.base
            ahead = buffer.tokens
            if (token < vocab_size and position <= context.confirmed and 0 <= index < len(history)
                    and history[index] == token and 0 <= offset < len(ahead)):
                answers[i] = ahead[offset]
        return answers

    def commit_lookahead(self, context_ids, positions, answers):
        """Records the answered requests as `forward` would: the context becomes most recently
        used, its written prefix grows by the request's token, a spent buffer is dropped."""
        contexts = self.histories.contexts
        get, move_to_end = contexts.get, contexts.move_to_end
        hits = 0
        for i, answer in enumerate(answers):
            if answer is None:
                continue
            context_id, position = context_ids[i], positions[i]
            context = get(context_id)
            move_to_end(context_id)
            if position == context.confirmed:
                context.confirmed += 1
            buffer = context.lookahead
            if position + 2 - buffer.base == len(buffer.tokens):
                context.lookahead = None  # exhausted
            hits += 1
        self.lookahead_hits += hits
        self.tokens_returned += hits

    @staticmethod
    def _waves(requests, results):
        """Request indices in arrival order, cut into runs that hold each context at most once (one
        batched engine call each). A run ends where a context comes again, so serving the runs in
        turn serves every request in the order it came, evictions included."""
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
        pending = []
        contexts = self.histories.contexts
        get, move_to_end, adopt = contexts.get, contexts.move_to_end, self.histories.adopt
        use_lookahead = self.lookahead > 1
        vocab_size = self.model.vocab_size
        hits = 0
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
                    context.merge(request.positions, tokens)
                sampler = request.sampler
                if sampler is None:
                    results[index] = []  # prefill only: recorded for replay
                    continue
                prefix_len = request.positions[-1] + 1
                if sampler.greedy and use_lookahead:
                    if context.lookahead is not None:
                        token = context.take_lookahead(prefix_len)
                        if token is not None:
                            hits += 1
                            results[index] = [token]
                            continue
                else:
                    context.lookahead = None  # a sampler change ends the greedy buffer
                    self.sampler_support.check(sampler)
                if self._prompt_limit is not None and prefix_len > self._prompt_limit:
                    raise RequestError(
                        INVALID_REQUEST,
                        "context %d needs a %d-token prompt, above max_num_tokens (%d) without chunked prefill; "
                        "set options.enable_chunked_prefill = true or raise options.max_num_tokens" % (context_id, prefix_len, self._prompt_limit),
                    )
                prompt = context.prompt(prefix_len)
                budget = self.model.max_model_len - prefix_len
                if budget <= 0:
                    raise RequestError(INVALID_REQUEST, "context %d is at position %d, the model's limit is %d tokens" % (request.context_id, prefix_len, self.model.max_model_len))
                pending.append((index, context, prefix_len, prompt, sampler, min(budget, self.lookahead if sampler.greedy else 1)))
            except RequestError as error:
                results[index] = error
        self.lookahead_hits += hits
        self.tokens_returned += hits
        if pending:
            self._generate(pending, results)

    def _params(self, context, prefix_len, sampler, max_tokens, shared):
        if sampler.greedy:
            # Greedy parameters carry no per-step seed: one object serves every such request of a call.
            key = (sampler.kind, sampler.temperature, sampler.top_k, sampler.top_p, sampler.min_p, max_tokens)
            params = shared.get(key)
            if params is None:
                params = shared[key] = self._new_params(sampler.sampling_kwargs(), max_tokens)
            return params
        kwargs = sampler.sampling_kwargs()
        if self.sampler_support.seeded:
            # A seed per step: successive steps draw independently yet reproducibly. Under a
            # sampler that reads no seed, none is sent, so nothing claims reproducibility.
            base = sampler.seed if sampler.seed else self._random_seed
            kwargs["seed"] = step_seed(base, context.context_id, prefix_len)
        return self._new_params(kwargs, max_tokens)

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

    def _generate(self, pending, results):
        prompts = []
        params = []
        salts = [] if self._cache_salt else None
        shared = {}
        try:
            for _, context, prefix_len, prompt, sampler, max_tokens in pending:
                prompts.append(prompt)
                params.append(self._params(context, prefix_len, sampler, max_tokens, shared))
                if salts is not None:
                    salts.append(str(context.context_id))
            self.engine_calls += 1
            if salts is not None:
                outputs = self.llm.generate(prompts, sampling_params=params, use_tqdm=False, cache_salt=salts)
            else:
                outputs = self.llm.generate(prompts, sampling_params=params, use_tqdm=False)
            if len(outputs) != len(pending):
                raise RuntimeError("LLM.generate returned %d outputs for %d prompts" % (len(outputs), len(pending)))
        except Exception as error:  # the engine failed this call: its requests fail, the runtime goes on
            log.exception("LLM.generate failed for %d requests", len(pending))
            failure = RequestError(ENGINE_ERROR, "TensorRT-LLM failed this request: %s: %s" % (type(error).__name__, error))
            for entry in pending:
                results[entry[0]] = failure
            return
        for (index, context, prefix_len, _prompt, sampler, _max), output in zip(pending, outputs):
            generated = _generated_tokens(output)
            if not generated:
                results[index] = RequestError(ENGINE_ERROR, "TensorRT-LLM returned no token for context %d" % context.context_id)
                continue
            self.engine_tokens += len(generated)
            self.tokens_returned += 1
            context.record_generation(prefix_len, generated, sampler.greedy, self._max_history)
            results[index] = [generated[0]]

    # -- context operations ----------------------------------------------------------------

    def release(self, context_ids):
        return self.histories.release(context_ids)

    def fork(self, parent, child, length):
        self.histories.fork(parent, child, length)

    def shutdown(self):
        shutdown = getattr(self.llm, "shutdown", None)
        if shutdown is not None:
            shutdown()


def _generated_tokens(output):
    outputs = getattr(output, "outputs", None)
    if outputs:
        tokens = getattr(outputs[0], "token_ids", None)
        if tokens:
            return list(tokens)
    return []
