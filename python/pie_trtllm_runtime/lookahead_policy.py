"""How far the engine runs ahead of a greedy program (`options.lookahead_*`, DESIGN §4).

- `stream` (default): each greedy context is served from a streaming request of
  `lookahead_stream_tokens` tokens; a step is answered as soon as its token exists, and a stream
  that ends is continued at once while its program has at most `lookahead_tokens` of its tokens
  still to take (so a program that pauses does not get tokens computed far ahead of it);
- `window` (Pie's own design, kept for comparison): a miss makes one request of `lookahead_tokens`
  tokens and the step waits for all of them;
- off (`lookahead_tokens` 0 or 1, or `max_history_tokens` set, since a trimmed history cannot
  rebuild the prompt of a continuation): one engine request per token."""

STREAM, WINDOW, OFF = "stream", "window", "off"
LOOKAHEAD_LIMIT = 16
DEFAULT_STREAM_TOKENS = 128


class LookaheadPolicy:
    __slots__ = ("mode", "window", "run_ahead")

    def __init__(self, mode, window, run_ahead):
        self.mode = mode
        self.window = window  # max_tokens of one engine request for a greedy context
        self.run_ahead = run_ahead  # stream mode: most tokens a program may leave untaken for its stream to be continued

    @property
    def enabled(self):
        return self.mode != OFF

    @property
    def streaming(self):
        return self.mode == STREAM

    @classmethod
    def from_options(cls, options):
        tokens = min(int(options.get("lookahead_tokens", LOOKAHEAD_LIMIT)), LOOKAHEAD_LIMIT)
        if tokens <= 1 or options.get("max_history_tokens") is not None:
            return cls(OFF, 1, 0)
        if options.get("lookahead_mode", STREAM) == WINDOW:
            return cls(WINDOW, tokens, 0)
        return cls(STREAM, int(options.get("lookahead_stream_tokens", DEFAULT_STREAM_TOKENS)), tokens)
