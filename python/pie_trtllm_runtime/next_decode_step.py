"""The decode steps a Pie decode loop sends next, worked out before they come.

After a packed decode step is answered with one token per request, the following steps of the same
loop are known in advance: the same contexts in the same order with the same sampler, each one
position further, each carrying the token it was just given. While every context's stream (under
that sampler) has made the token after that, the answers are known too; a stochastic stream's draws
are handed out once each, as the steps come. A `DecodeChain` holds those answers for as many steps as every
stream covered when it was made. Each step that comes exactly as expected is answered at once; what
answering records (recency, the written history, what each stream handed out) is the same for every
step of the chain, so it is recorded once, for all the steps answered, when the chain ends: at the
first message that is not the expected step, or when the covered steps run out. Nothing else can
touch the histories in between, because any other message ends the chain first (the engine thread
only appends tokens to streams, and a token once made never changes)."""

from .packing import pack_u32


def same_json(a, b):
    """Equality of parsed JSON that also requires equal types (so 1 is not True and not 1.0)."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return a.keys() == b.keys() and all(same_json(value, b[key]) for key, value in a.items())
    if type(a) is list:
        return len(a) == len(b) and all(map(same_json, a, b))
    return a == b


def _steps_covered(context, position, carried, key):
    """How many steps from `position` (the position the next step writes, carrying the token
    `carried`) the context's stream answers with tokens already made (0 when it cannot answer the
    first), and the stream index of the first answer. Only a context whose history ends just before
    `position`, whose stream serves the step's sampler and made `carried` at `position` qualifies:
    each step then writes the answer before it, which is the stream's own token."""
    stream = context.stream
    if stream is None or context.confirmed != position or stream.sampler_key != key or stream.token_at(position) != carried:
        return 0, 0
    start = position + 1 - stream.base
    made = len(stream.tokens)
    if not 0 <= start < made or not stream.serves(position + 1):
        return 0, 0
    return made - start, start


class DecodeChain:
    """Expected decode steps of one loop, their answers, and what answering them records."""

    __slots__ = ("_engine", "_batch", "_make_reply", "_context_ids", "_positions", "_rows", "_length", "_taken", "batch", "reply", "_answers",
                 "_greedy")

    def __init__(self, engine, batch, make_reply, context_ids, positions, rows, length, carried, greedy):
        self._engine = engine
        self._batch = batch  # the step answered last, as it came (packed or plain)
        self._make_reply = make_reply
        self._context_ids = context_ids
        self._positions = positions  # of the step answered last
        self._rows = rows  # per context: (buffer tokens, index of the first answer)
        self._length = length  # steps every buffer covers
        self._taken = 0  # steps answered so far
        self._greedy = greedy
        self._expect(carried)

    @classmethod
    def after(cls, engine, batch, context_ids, positions, returned, make_reply, sampler):
        """The steps that follow a decode `batch` (as `batch.decode_columns` accepts it, with its
        `sampler`) whose requests got `returned`, one token each, or None when some context would
        need the engine for the next one. `make_reply` turns tokens into the reply the server sends
        for them."""
        if not engine.streamed(sampler):
            return None
        key = sampler.stream_key
        contexts = engine.histories.contexts
        streaming = engine.policy.streaming
        rows, length, streams = [], None, []
        for context_id, position, carried in zip(context_ids, positions, returned):
            context = contexts.get(context_id)
            if context is None:
                return None
            steps, start = _steps_covered(context, position + 1, carried, key)
            if steps == 0:
                return None
            rows.append((context.stream.tokens, start))
            streams.append(context.stream)
            run_ahead = max(context.stream.continue_within, 0) if streaming else 0
            if steps > run_ahead:
                # What the chain hands out is recorded when it ends, so it ends where the program
                # comes within reach of this stream's end: the stream is continued then, as a
                # step-by-step run would continue it, and never for tokens the program may not take.
                steps -= run_ahead
            length = steps if length is None else min(length, steps)
        # The chain's k-th step has a prefix of position + 1 + k: none may pass the longest prefix.
        length = min(length, engine.longest_prefix - max(positions) - 1)
        if length <= 0:
            return None
        due = [stream for stream, position in zip(streams, positions) if engine.taken(stream, position + 1)]
        if due:
            engine.requests.resume_all(due)
        return cls(engine, batch, make_reply, context_ids, positions, rows, length, returned, sampler.greedy)

    def _expect(self, carried):
        """Sets the batch and reply of the next step, which carries the tokens `carried`."""
        step = self._taken
        following = [position + step + 1 for position in self._positions]
        answers = [ahead[start + step] for ahead, start in self._rows]
        packed = self._batch.get("packed")
        if packed is not None:
            self.batch = dict(self._batch, packed=dict(packed, token_ids=pack_u32(carried), position_ids=pack_u32(following)))
        else:
            self.batch = dict(self._batch, token_ids=list(carried), position_ids=following)
        self.reply = self._make_reply(answers)
        self._answers = answers

    def matches(self, batch):
        return same_json(self.batch, batch)

    def answered(self):
        """The expected step was answered. True when the chain expects another one; False when the
        buffers are spent (the chain must then be ended)."""
        self._taken += 1
        if self._taken >= self._length:
            return False
        self._expect(self._answers)
        return True

    def unrecorded_hits(self):
        """(steps answered and not yet recorded, of them sampled) counted per request, as `end` will count them."""
        hits = self._taken * len(self._context_ids)
        return hits, 0 if self._greedy else hits

    def end(self):
        """Records every step answered, as that many of the engine's own decode steps would have:
        the tokens written into each history, what each stream handed out (which may continue an
        idle stream). Recency needs nothing: the step before the chain left these contexts most
        recently used in request order, which each step of the chain would set again."""
        taken, self._taken = self._taken, 0
        if not taken:
            return
        engine = self._engine
        contexts = engine.histories.contexts
        due = []
        for context_id, position in zip(self._context_ids, self._positions):
            context = contexts[context_id]
            stream = context.stream
            last = position + taken  # the last position a step of the chain wrote
            if context.confirmed <= last:
                context.tokens.extend(stream.tokens[context.confirmed - stream.base:last + 1 - stream.base])
                context.confirmed = last + 1
            if engine.taken(stream, last + 1):
                due.append(stream)
        if due:
            engine.requests.resume_all(due)
        hits = taken * len(self._context_ids)
        engine.lookahead_hits += hits
        engine.tokens_returned += hits
        if not self._greedy:
            engine.sampling_hits += hits
