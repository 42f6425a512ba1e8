"""The decode step a Pie decode loop sends next, worked out before it comes.

After a packed greedy decode step is answered with one token per request, the next step of the
same loop is known in advance: the same contexts in the same order, each at the next position,
each carrying the token it was just given. When every context's lookahead buffer holds the token
after that, the whole answer is known too. The server works it out after writing a reply, while
the driver is busy with it; when the next batch is exactly the expected one, the answer goes out
at once and the history is updated after the write. Any other message discards the expectation,
so the history it was computed from cannot have changed in between."""

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


class NextDecodeStep:
    """An expected batch, the reply that answers it, and what giving that reply records."""

    __slots__ = ("batch", "reply", "context_ids", "positions", "answers", "_make_reply")

    def __init__(self, batch, make_reply, context_ids, positions, answers):
        self.batch = batch
        self.reply = make_reply(answers)
        self.context_ids = context_ids
        self.positions = positions
        self.answers = answers
        self._make_reply = make_reply

    @classmethod
    def after(cls, engine, batch, context_ids, positions, returned, make_reply):
        """The step that follows a decode `batch` (as `batch.decode_columns` accepts it) whose
        requests got `returned`, one token each, or None when some context would need the engine
        for it. `make_reply` turns tokens into the reply the server sends for them."""
        following = [position + 1 for position in positions]
        answers = engine.lookahead_answers(context_ids, returned, following)
        if answers is None or None in answers:
            return None
        packed = batch.get("packed")
        if packed is not None:
            expected = dict(batch, packed=dict(packed, token_ids=pack_u32(returned), position_ids=pack_u32(following)))
        else:
            expected = dict(batch, token_ids=list(returned), position_ids=following)
        return cls(expected, make_reply, context_ids, following, answers)

    def matches(self, batch):
        return same_json(self.batch, batch)

    def commit(self, engine):
        """Records the answer as the engine's own decode step would have."""
        engine.commit_lookahead(self.context_ids, self.positions, self.answers)

    def following(self, engine):
        """The step after this one, once this one is committed."""
        return NextDecodeStep.after(engine, self.batch, self.context_ids, self.positions, self.answers, self._make_reply)
