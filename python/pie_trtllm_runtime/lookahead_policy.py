"""How far the engine runs ahead of a program (`options.lookahead_*`, `execution_mode`, DESIGN §4).

- `stream` (default): each context is served from a streaming request; a step is answered as soon
  as its token exists. A stream's first request asks for FIRST_REQUEST_TOKENS tokens. A request
  that ends is continued at once while its program has at most min(`lookahead_tokens`,
  HANDOVER_TOKENS) of its tokens still to take, for `lookahead_stream_tokens` tokens: a program that
  keeps up soon needs a new request only that seldom. A program that has fallen further behind gets
  no more tokens computed ahead of it until it comes that close, and then as many as the stream has
  made, FIRST_REQUEST_TOKENS at least (see `request_tokens`): a program that stops early leaves
  little made for nothing, and one that goes on needs few requests. A context whose program left its last stream early (a sampler
  change or a token of its own every few steps) starts its next stream that short;
- `execution_mode = "pyexecutor"` (Pie's mode, whose purpose is a KV cache that stays resident
  across decode steps) is served the same way, `pyexecutor_max_tokens` capping a stream's request;
- `window` (Pie's own generate-mode design, kept for comparison): a miss makes one request of
  `lookahead_tokens` tokens and the step waits for all of them;
- off (`lookahead_tokens` 0 or 1 in generate mode, or `max_history_tokens` set, since a trimmed
  history cannot rebuild the prompt of a continuation): one engine request per token."""

STREAM, WINDOW, OFF = "stream", "window", "off"
LOOKAHEAD_LIMIT = 16
DEFAULT_STREAM_TOKENS = 128
DEFAULT_PYEXECUTOR_TOKENS = 4096
# A stream's first request (measured, docs/performance.md): fewer costs programs of 16 to 64 tokens
# more requests (each one more token computed by the overlap scheduler); more leaves more made for
# nothing when programs take tokens slower than the engine makes them and stop early.
FIRST_REQUEST_TOKENS = 32
MIN_FIRST_REQUEST = 2
# A stream is continued once its program has at most this many of its tokens left (or fewer, with
# a smaller lookahead_tokens). A continuation's first token comes three iterations after its
# request's last one (it is submitted once that token is known and joins two iterations later,
# docs/performance.md), so a program still two or more tokens behind when the request ends does
# not wait for it; one that has caught up with its stream waits those two extra iterations, however
# early the continuation starts. Few enough that a program slower than the engine has little made
# ahead of it when it stops.
HANDOVER_TOKENS = 4


class LookaheadPolicy:
    __slots__ = ("mode", "window", "run_ahead", "first", "pyexecutor")

    def __init__(self, mode, window, run_ahead, pyexecutor=False):
        self.mode = mode
        self.window = window  # most tokens of one engine request (stream mode: a continuation's cap)
        self.run_ahead = run_ahead  # stream mode: most tokens a program may leave untaken for its stream to be continued
        self.first = min(FIRST_REQUEST_TOKENS, window)
        self.pyexecutor = pyexecutor

    @property
    def enabled(self):
        return self.mode != OFF

    @property
    def streaming(self):
        return self.mode == STREAM

    def first_request(self, run_hint):
        """(max_tokens of a new stream's first request, how close its program must come to the
        request's end before it is continued). Without a hint: FIRST_REQUEST_TOKENS, continued
        within `run_ahead`. When the context's program left its last stream after `run_hint`
        tokens (it changes its sampler or writes its own token every few steps), the first request
        asks for that many and is continued only when a step asks past it: a program that leaves
        again there wastes neither a longer request nor a continuation, and one that goes on waits
        once for its continuation."""
        if run_hint is None or run_hint >= self.first:
            return self.first, self.run_ahead
        return min(self.first, max(MIN_FIRST_REQUEST, run_hint)), -1

    def request_tokens(self, stream):
        """max_tokens of the stream's next request (before the model's length bounds it). Each
        hand-over to a continuation puts the stream's next token two or three iterations later than
        the running request would have made it. A stream whose program kept up with its last
        request (it was within `run_ahead` of its end when it ended, so it is continued at once) is
        continued for `lookahead_stream_tokens`, so such hand-overs are rare. One whose program fell
        behind (its steps slower than the engine's iterations, e.g. a batch waiting for new
        programs' prefills) is continued only once its program catches up, for as many tokens as
        the stream has made (its program has taken all but a few of them): the tokens a stream
        makes ahead of its program are lost when it stops, so what a stop can throw away stays
        within what its program took, while one that goes on long is soon back to a request per
        `lookahead_stream_tokens`."""
        if self.mode != STREAM:
            return self.window
        if stream.kept_up:
            return self.window
        return min(self.window, max(stream.first, len(stream.tokens)))

    @classmethod
    def from_options(cls, options):
        tokens = min(int(options.get("lookahead_tokens", LOOKAHEAD_LIMIT)), LOOKAHEAD_LIMIT)
        handover = max(1, min(tokens, HANDOVER_TOKENS))
        if options.get("execution_mode") == "pyexecutor":
            # max_history_tokens and window lookahead are refused with this mode (schema, launcher).
            return cls(STREAM, int(options.get("pyexecutor_max_tokens", DEFAULT_PYEXECUTOR_TOKENS)), handover, pyexecutor=True)
        if tokens <= 1 or options.get("max_history_tokens") is not None:
            return cls(OFF, 1, 0)
        if options.get("lookahead_mode", STREAM) == WINDOW:
            return cls(WINDOW, tokens, 0)
        return cls(STREAM, int(options.get("lookahead_stream_tokens", DEFAULT_STREAM_TOKENS)), handover)
