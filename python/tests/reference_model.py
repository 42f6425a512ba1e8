"""An independent model of what the runtime must answer, written from the design alone (DESIGN §4
and the whole-prompt greedy rule of §3.6), sharing no code with the runtime.

Replay history per context: tokens merge by position; a different token at a known position
truncates there; a position past the written history is a gap, MISSING_REPLAY_PREFIX for that
request, changing nothing (a new context is not created). The store holds at most `max_contexts`
histories: a request for a known context makes it the most recently used (whatever its outcome);
a new context evicts the least recently used. `release` frees, `fork` copies the first `length`
written tokens of a known parent into the child (the child becomes most recently used)."""

from collections import OrderedDict

VOCAB = 32000


def greedy_after(prompt):
    """The whole-prompt rule: (31 * h[-1] + 7 * len(h) + 1 + sum((i + 1) * h[i])) mod 32000."""
    weighted = sum((i + 1) * token for i, token in enumerate(prompt))
    return (31 * prompt[-1] + 7 * len(prompt) + 1 + weighted) % VOCAB


class ReferenceReplay:
    def __init__(self, max_contexts=65536):
        self.max_contexts = max_contexts
        self.histories = OrderedDict()  # least recently used first
        self.evicted = []

    def request(self, context_id, positions, tokens, sampled):
        """The expected result of one request: a token list, or an error code."""
        known = self.histories.get(context_id)
        if known is not None:
            self.histories.move_to_end(context_id)
        history = list(known or [])
        for position, token in zip(positions, tokens):
            if position < len(history):
                if history[position] != token:
                    history = history[:position] + [token]
            elif position == len(history):
                history.append(token)
            else:
                return "MISSING_REPLAY_PREFIX"
        if known is None:
            while len(self.histories) >= self.max_contexts:
                victim, _ = self.histories.popitem(last=False)
                self.evicted.append(victim)
        self.histories[context_id] = history
        if not sampled:
            return []
        return [greedy_after(history[:positions[-1] + 1])]

    def batch(self, requests):
        """Requests (context, positions, tokens, sampled), served in order."""
        return [self.request(*r) for r in requests]

    def release(self, context_ids):
        for context_id in context_ids:
            self.histories.pop(context_id, None)

    def fork(self, parent, child, length):
        if parent == child:
            return "INVALID_REQUEST"
        source = self.histories.get(parent)
        if source is None or length > len(source):
            return "MISSING_REPLAY_PREFIX"
        if child in self.histories:
            self.histories.move_to_end(child)
        else:
            while len(self.histories) >= self.max_contexts:
                victim, _ = self.histories.popitem(last=False)
                self.evicted.append(victim)
        self.histories[child] = list(source[:length])
        return None

    def drain_evicted(self):
        evicted, self.evicted = self.evicted, []
        return [c for c in dict.fromkeys(evicted) if c not in self.histories]
