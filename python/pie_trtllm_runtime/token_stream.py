"""A context's tokens, made by the engine ahead of its program under one sampler.

A greedy stream's tokens are the model's argmax, so a step may be answered with any of them it
asks for. A stochastic stream's tokens are draws: each is handed to the program at most once (a
step that asks again for a position it already got one for is a new draw, not served here), and
only to steps whose sampler is the stream's own (`sampler_key`).

The runtime's main thread reads `tokens` and writes `taken`; the engine thread
(`engine_requests.EngineRequests`) appends to `tokens` and moves `state`. Existing tokens never
change, so reading them needs no lock; state changes happen under the engine thread's lock."""

RUNNING = "running"  # a request is in flight (or being started) and will bring more tokens
IDLE = "idle"  # its last request ended; a continuation can be started
FAILED = "failed"  # the engine failed it (`error` says how); the tokens it has stay valid
CLOSED = "closed"  # dropped by the program (divergence, release, eviction...): no more tokens


class TokenStream:
    __slots__ = ("context_id", "base", "prompt", "tokens", "taken", "state", "error", "handle", "requests", "salt", "params",
                 "sampler_key", "greedy", "first", "continue_within", "kept_up")

    def __init__(self, context_id, prompt, salt, params, sampler_key, greedy, first, continue_within):
        self.context_id = context_id
        self.base = len(prompt)  # the absolute position of tokens[0]
        self.prompt = prompt  # the tokens before `base` (a copy: the history may change under it)
        self.tokens = []
        self.taken = 0  # tokens up to the last one handed to the program
        self.state = RUNNING
        self.error = None  # a RequestError once FAILED, or when a continuation cannot start
        self.handle = None  # the engine's RequestOutput of the request in flight
        self.requests = 0  # engine requests made for this stream
        self.salt = salt
        self.params = params  # (sampling kwargs, end id, pad id) the requests share
        self.sampler_key = sampler_key  # Sampler.stream_key of the steps it serves
        self.greedy = greedy
        self.first = first  # max_tokens of its first request (LookaheadPolicy.first_request)
        # Continued once its program has at most this many of its tokens left to take.
        self.continue_within = continue_within
        # Whether its program was within `continue_within` of its last request's end when that
        # request ended (so it was continued at once): it sizes the continuation.
        self.kept_up = False

    @property
    def end(self):
        """The absolute position after the last token made so far."""
        return self.base + len(self.tokens)

    def token_at(self, position):
        """The token at an absolute position if it has been made, else None."""
        index = position - self.base
        tokens = self.tokens
        return tokens[index] if 0 <= index < len(tokens) else None

    def serves(self, position):
        """Whether a step asking for the token at `position` may get it from this stream: any
        greedy token, or a draw not handed out before (a position past the last one taken)."""
        return self.greedy or position - self.base >= self.taken

    def untaken(self):
        return len(self.tokens) - self.taken

    def __repr__(self):
        return "TokenStream(context=%r, base=%d, made=%d, taken=%d, state=%s, sampler=%r)" % (
            self.context_id, self.base, len(self.tokens), self.taken, self.state, self.sampler_key)
