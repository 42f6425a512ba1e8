"""The queues a `RequestOutput` of TensorRT-LLM 1.2.1 reads its responses from.

`GenerationResultBase.__init__` (tensorrt_llm/executor/result.py @ a678b91a) picks the kind when
the result is created: an `AsyncQueue` when `asyncio.get_running_loop()` succeeds in the calling
thread (`has_event_loop`), else a plain `queue.Queue`. The proxy's dispatch thread fills them: a
plain queue with `put`, an async one with `put_nowait` on its `sync_q` and then one
`notify_many(loop, queues)` per message (executor/proxy.py @ b93e14ca). An async queue is bound to
the loop it was created on; reading it synchronously (`sync_q.get()`) works but warns and polls
every 10 ms (llmapi/utils.py @ cc4777e9)."""

import asyncio
import collections
import queue
import time
import warnings

SYNC_POLL_S = 0.01  # `_SyncQueue.get` sleeps this long between looks at the deque


def _running_loop():
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def has_event_loop():
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class AsyncQueue:
    """The async side: `await get()` on the loop the queue was created on."""

    __slots__ = ("_items", "_event", "loop", "sync_q")

    def __init__(self):
        self._items = collections.deque()
        self.loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        self.sync_q = SyncSide(self)

    async def get(self, timeout=None):
        items = self._items
        while not items:
            if timeout is None:
                await self._event.wait()
            else:
                await asyncio.wait_for(self._event.wait(), timeout)
            self._event.clear()
        return items.popleft()

    def _wake(self):
        self._event.set()


class SyncSide:
    """`AsyncQueue.sync_q`: what the dispatch thread writes to, and a slow synchronous reader."""

    __slots__ = ("_owner", "_warned")

    def __init__(self, owner):
        self._owner = owner
        self._warned = False

    @property
    def loop(self):
        return self._owner.loop

    def put_nowait(self, item):
        self._owner._items.append(item)

    @staticmethod
    def notify_many(loop, queues):
        """Wakes every reader of `queues` (all bound to `loop`) with one hop onto the loop (none
        when called on that loop's own thread)."""
        owners = {id(q._owner): q._owner for q in queues}.values()
        if loop.is_closed():
            return
        if _running_loop() is loop:
            _wake_all(owners)
        else:
            loop.call_soon_threadsafe(_wake_all, list(owners))

    def get(self, timeout=None):
        if not self._warned:
            self._warned = True
            warnings.warn("a result created inside a running event loop is read synchronously; "
                          "each response waits for a 10 ms poll", RuntimeWarning, stacklevel=3)
        items = self._owner._items
        while not items:
            time.sleep(SYNC_POLL_S)
        return items.popleft()


def _wake_all(owners):
    for owner in owners:
        owner._wake()


def new_result_queue():
    """(queue the dispatcher writes, async queue or None), chosen as 1.2.1 chooses."""
    if has_event_loop():
        async_queue = AsyncQueue()
        return async_queue.sync_q, async_queue
    return queue.Queue(), None


def deliver_all(result, responses):
    """Puts many responses of one result into its queue at once, waking its reader once."""
    target = result.queue
    if type(target) is SyncSide:
        target._owner._items.extend(responses)
        SyncSide.notify_many(target.loop, [target])
    else:
        for response in responses:
            target.put(response)


def dispatch(responses):
    """Puts `(result, response)` pairs into their results' queues as the proxy does: plain queues
    directly, async ones with one wake-up per loop for the whole message."""
    by_loop = None
    for result, response in responses:
        target = result.queue
        if type(target) is SyncSide:
            target.put_nowait(response)
            if by_loop is None:
                by_loop = {}
            by_loop.setdefault(target.loop, []).append(target)
        else:
            target.put(response)
    if by_loop:
        for loop, queues in by_loop.items():
            SyncSide.notify_many(loop, queues)
