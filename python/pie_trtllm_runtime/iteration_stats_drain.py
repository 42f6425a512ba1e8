"""The KV cache figures of TensorRT-LLM's iteration statistics (`LLM.get_stats`).

TensorRT-LLM 1.2.1 makes a statistics entry per iteration only with
`llm_kwargs.enable_iter_perf_stats = true`, and queues them until `get_stats` drains them
(executor/result.py `IterationResult`): nothing bounds that queue on the caller's side, so entries
are drained every second here, whether or not anyone asks for them, and the latest figures kept."""

import logging
import threading

log = logging.getLogger("pie_trtllm_runtime.iteration_stats_drain")

# What `status` reports of an iteration's `kvCacheStats`, by its 1.2.1 field name.
KV_FIELDS = (("used_blocks", "usedNumBlocks"), ("free_blocks", "freeNumBlocks"), ("max_blocks", "maxNumBlocks"),
             ("tokens_per_block", "tokensPerBlock"))
DRAIN_EVERY_S = 1.0


def _count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class IterationStatsDrain:
    def __init__(self, llm, enabled, submitted):
        self._llm = llm
        self.enabled = enabled
        self._submitted = submitted  # () -> whether a request was ever submitted
        self._lock = threading.Lock()
        self._kv_cache = None
        self._stop = threading.Event()
        self._thread = None
        if enabled:
            self._thread = threading.Thread(target=self._drain_until_stopped, name="iteration-stats", daemon=True)
            self._thread.start()

    def kv_cache(self):
        """The KV cache's blocks at the latest iteration reported, or None when the engine makes
        no statistics or has run no request yet (1.2.1's get_stats has nothing before one)."""
        if not self.enabled or not self._submitted():
            return None
        with self._lock:
            try:
                # Drains what queued since the last call; waits 1 ms for one more (get_results).
                entries = self._llm.get_stats(timeout=0.001)
            except Exception:  # statistics are best effort: never fail a status for them
                log.debug("LLM.get_stats failed", exc_info=True)
                entries = []
            for entry in reversed(entries if isinstance(entries, list) else []):
                blocks = entry.get("kvCacheStats") if isinstance(entry, dict) else None
                if isinstance(blocks, dict):
                    values = {name: blocks.get(key) for name, key in KV_FIELDS}
                    if all(_count(v) for v in values.values()):
                        self._kv_cache = values
                    break
            return self._kv_cache

    def _drain_until_stopped(self):
        while not self._stop.wait(DRAIN_EVERY_S):
            self.kv_cache()

    def stop(self):
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
