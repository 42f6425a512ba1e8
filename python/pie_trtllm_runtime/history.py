"""Replay histories: the tokens of each Pie context by absolute position, so the driver can rebuild
exact prompts for TensorRT-LLM. Bounded (LRU), releasable, forkable."""

from collections import OrderedDict

from .codes import INVALID_REQUEST, MISSING_REPLAY_PREFIX, RequestError
from .shown import shown


class Context:
    """One context's history: the tokens its requests wrote, by absolute position. `offset` tokens
    at the front were trimmed by max_history_tokens; positions stay absolute, so a prompt that needs
    a trimmed token is refused, never guessed. `confirmed` is the position after the last token
    (offset + len(tokens)). `stream` is the stream that runs ahead of the program, if any;
    `run_hint` how many tokens the program took from its last stream before it left it (None
    until it leaves one), which sizes its next stream's first request."""

    __slots__ = ("context_id", "tokens", "offset", "confirmed", "stream", "run_hint")

    def __init__(self, context_id, tokens=None):
        self.context_id = context_id
        self.tokens = tokens if tokens is not None else []
        self.offset = 0
        self.confirmed = len(self.tokens)
        self.stream = None
        self.run_hint = None

    def merge(self, positions, tokens):
        """Writes a request's tokens at their positions. A different token at a known position
        truncates there; a position past what requests have written is a gap and fails the
        request, leaving the history untouched. Returns the first position whose token changed
        (None when the request only repeated or extended the history)."""
        if len(positions) == 1 and self.offset <= positions[0] <= self.confirmed:
            return self._write(positions[0], tokens[0])  # one decode token: nothing to pre-check
        changed = None
        if positions and positions[0] < self.offset:
            if positions[0] != 0:
                raise RequestError(
                    MISSING_REPLAY_PREFIX,
                    "context %d: positions before %d were trimmed by max_history_tokens; resend the context from position 0"
                    % (self.context_id, self.offset),
                )
            self.tokens = []  # a replay from position 0 rebuilds the whole history
            self.offset = 0
            self.confirmed = 0
            changed = 0
        end = self.confirmed
        for position in positions:
            if position > end:
                raise RequestError(
                    MISSING_REPLAY_PREFIX,
                    "context %d has token position %d, but the replay history only holds %d tokens; "
                    "send the missing prefix (a fork or restore needs its parent's tokens)" % (self.context_id, position, self.confirmed),
                )
            if position == end:
                end += 1
        for position, token in zip(positions, tokens):
            at = self._write(position, token)
            if changed is None:
                changed = at
        return changed

    def _write(self, position, token):
        history = self.tokens
        index = position - self.offset
        if index == len(history):
            history.append(token)
            self.confirmed += 1
            return None
        if history[index] != token:
            del history[index:]  # what followed belonged to another continuation
            history.append(token)
            self.confirmed = position + 1
            return position
        return None

    def trim(self, max_tokens):
        """Drops the oldest tokens beyond `max_tokens` (max_history_tokens)."""
        if max_tokens is not None and len(self.tokens) > max_tokens:
            dropped = len(self.tokens) - max_tokens
            del self.tokens[:dropped]
            self.offset += dropped

    def prompt(self, prefix_len):
        """The first `prefix_len` tokens, as a new list."""
        if self.offset:
            raise RequestError(
                MISSING_REPLAY_PREFIX,
                "context %d: max_history_tokens trimmed the first %d tokens, so the prompt cannot be rebuilt exactly; "
                "resend the context from position 0" % (self.context_id, self.offset),
            )
        if prefix_len > len(self.tokens):
            raise RequestError(MISSING_REPLAY_PREFIX, "context %d needs %d tokens but holds %d" % (self.context_id, prefix_len, len(self.tokens)))
        return self.tokens[:prefix_len]


class HistoryStore:
    """Contexts by id, least recently used first out."""

    def __init__(self, max_contexts, max_tokens=None, on_drop=None):
        if max_contexts <= 0:
            raise ValueError("max_session_histories must be positive")
        self.max_contexts = max_contexts
        self.max_tokens = max_tokens
        self._on_drop = on_drop  # called with each context released, evicted or overwritten by a fork
        self.contexts = OrderedDict()  # least recently used first
        self.evictions = 0
        self.evicted = []  # ids dropped since the last drain, for the driver to forget too

    def __len__(self):
        return len(self.contexts)

    def get(self, context_id):
        return self.contexts.get(context_id)

    def touch(self, context_id):
        """The context, created if new, marked most recently used."""
        context = self.contexts.get(context_id)
        if context is not None:
            self.contexts.move_to_end(context_id)
            return context
        return self.adopt(Context(context_id))

    def adopt(self, context):
        """Stores a new context as most recently used, evicting the least recently used ones. A
        request for an unknown context is merged into a detached Context first and adopted only
        when that succeeds, so a refused request never evicts anything."""
        contexts = self.contexts
        while len(contexts) >= self.max_contexts:
            evicted_id, evicted = contexts.popitem(last=False)
            self._dropped(evicted)
            self.evicted.append(evicted_id)
            self.evictions += 1
        contexts[context.context_id] = context
        return context

    def drain_evicted(self):
        """The ids evicted since the last call and not stored again since (a context evicted and
        re-created within one batch lives on, and the driver must not forget it)."""
        evicted, self.evicted = self.evicted, []
        if not evicted:
            return evicted
        contexts = self.contexts
        return [i for i in dict.fromkeys(evicted) if i not in contexts]

    def release(self, context_ids):
        released = 0
        for context_id in context_ids:
            context = self.contexts.pop(context_id, None)
            if context is not None:
                self._dropped(context)
                released += 1
        return released

    def _dropped(self, context):
        if context.stream is not None and self._on_drop is not None:
            self._on_drop(context)

    def fork(self, parent_id, child_id, length):
        """The child starts with the first `length` replayable tokens of the parent."""
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            raise RequestError(INVALID_REQUEST, "fork length must be a non-negative integer, found %s" % shown(length))
        if parent_id == child_id:
            raise RequestError(INVALID_REQUEST, "a context cannot be forked onto itself")
        parent = self.contexts.get(parent_id)
        if parent is None:
            raise RequestError(MISSING_REPLAY_PREFIX, "fork parent %r has no replay history here (unknown, released or evicted)" % (parent_id,))
        if parent.offset or length > parent.confirmed:
            raise RequestError(
                MISSING_REPLAY_PREFIX,
                "fork of %d tokens, but context %r can replay positions %d..%d only" % (length, parent_id, parent.offset, parent.confirmed),
            )
        child = self.touch(child_id)
        self._dropped(child)
        child.tokens = parent.tokens[:length]
        child.offset = 0
        child.confirmed = length
        return child
