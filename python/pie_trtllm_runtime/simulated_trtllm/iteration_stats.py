"""`LLM.get_stats` of TensorRT-LLM 1.2.1's PyTorch LLM: per-iteration statistics, as JSON.

Facts (tensorrt_llm/executor/result.py `IterationResult` and executor/executor.py `get_stats`,
stored revision 005bc84; `enable_iter_perf_stats` and `max_stats_len` from llm_args.py of the 1.2
line; the field names from trtllm-serve's documented `/metrics` output and its stats tests):
- the executor makes a statistics entry per iteration only with `enable_iter_perf_stats=True`
  (default False); it keeps at most `max_stats_len` (default 1000) of them;
- before the first request, `get_stats` prints a warning and returns [] at once;
- after it, `get_stats(timeout)` returns every queued entry, and waits `timeout` seconds for one
  more before it stops; it then returns [] without waiting until a new request is submitted
  (`mark_undone`), even if iterations ran in between;
- an entry is a dict with `iter`, `iterLatencyMS`, `numActiveRequests` and `kvCacheStats`
  (`maxNumBlocks`, `freeNumBlocks`, `usedNumBlocks`, `tokensPerBlock`, among others).

The simulated KV cache: `tokens_per_block` from the KvCacheConfig (32 by default), as many blocks
as `max_tokens` allows or SIMULATED_KV_TOKENS, and each live request holds the blocks its prompt
and made tokens fill."""

import collections
import json
import sys
import threading
import time

SIMULATED_KV_TOKENS = 1 << 20


class IterationStatistics:
    def __init__(self, enabled, max_entries, tokens_per_block, max_tokens):
        self.enabled = bool(enabled)
        self.tokens_per_block = int(tokens_per_block)
        self.max_blocks = -(-int(max_tokens or SIMULATED_KV_TOKENS) // self.tokens_per_block)
        self._entries = collections.deque(maxlen=max(int(max_entries), 1))
        self._ready = threading.Condition()
        self._started = False  # a request was submitted (the executor made its result queue)
        self._done = False  # drained; waits for the next submission
        self._iteration = 0

    def submitted(self):
        with self._ready:
            self._started = True
            self._done = False

    def record(self, active, latency_s):
        """One iteration ran with these requests (each has `prompt_length` and `made`)."""
        if not self.enabled:
            return
        per_block = self.tokens_per_block
        used = min(self.max_blocks, sum(-(-(r.prompt_length + len(r.made)) // per_block) for r in active))
        with self._ready:
            self._iteration += 1
            self._entries.append(json.dumps({
                "iter": self._iteration,
                "iterLatencyMS": latency_s * 1000.0,
                "numActiveRequests": len(active),
                "kvCacheStats": {"maxNumBlocks": self.max_blocks, "freeNumBlocks": self.max_blocks - used,
                                 "usedNumBlocks": used, "tokensPerBlock": per_block},
            }))
            self._ready.notify_all()

    def get(self, timeout):
        with self._ready:
            if not self._started:
                sys.stdout.write("Iteration statistics are not available yet. To collect runtime statistics, "
                                 "please call get_stats() AFTER prompts have been submitted.\n")
                return []
            results = []
            while not self._done:
                if timeout is not None and timeout < 0:  # queue.Queue.get's own check
                    raise ValueError("'timeout' must be a non-negative number")
                if not self._entries:
                    if timeout is None:  # Queue.get(timeout=None) waits for an entry
                        while not self._entries:
                            self._ready.wait()
                    deadline = time.monotonic() + (timeout or 0)
                    while not self._entries and time.monotonic() < deadline:
                        self._ready.wait(deadline - time.monotonic())
                if not self._entries:
                    self._done = True
                    break
                results.append(json.loads(self._entries.popleft()))
            return results
