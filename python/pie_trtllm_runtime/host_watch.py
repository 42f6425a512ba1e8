"""The runtime ends with the host that started it, in every phase.

The host holds the only write end of the request channel, so that end closes when the host ends,
whatever way (a SIGKILL included), and the read end reports a hang-up. A model load lasts minutes
on a GPU: a runtime whose host is gone must not go on loading, holding the GPU for nothing. While
the runtime starts, the hang-up ends it at once (its MPI daemon then ends the executor workers, as
after any runtime death); once it serves, the request loop reads the end of the channel and shuts
down in order, and this watch ends the process only if that has not happened within GRACE_S."""

import logging
import os
import select
import threading

log = logging.getLogger("pie_trtllm_runtime.host_watch")

GRACE_S = 30.0
HOST_GONE_EXIT = 3  # the exit status of a runtime that ended because its host did


class HostWatch:
    def __init__(self, request_fd, grace_s=GRACE_S, on_host_gone=None):
        self._fd = request_fd
        self._on_host_gone = on_host_gone  # run before the process ends for its host (removes the launch config)
        self._grace_s = grace_s
        self._serving = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="host-watch", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def serving(self):
        """The runtime is ready and its request loop reads the channel: it sees the host go itself."""
        self._serving.set()

    def stop(self):
        """An orderly end is under way (the host asked for it, or the loop read the channel's end)."""
        self._stopped.set()

    def _watch(self):
        poller = select.poll()
        # Only a hang-up or an error wakes this (those are reported whatever is asked): requests
        # arriving on the channel are the request loop's, and are left unread here.
        poller.register(self._fd, select.POLLHUP | select.POLLERR)
        while not self._stopped.is_set():
            events = poller.poll(500)
            if any(event & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, event in events):
                break
        if self._stopped.is_set():
            return
        if not self._serving.is_set():
            log.error("the host ended while the runtime was starting; ending")
            self._end()
        if not self._stopped.wait(self._grace_s):
            log.error("the host ended and the runtime did not shut down within %.0f s; ending", self._grace_s)
            self._end()

    def _end(self):
        try:
            if self._on_host_gone is not None:
                self._on_host_gone()
        finally:
            os._exit(HOST_GONE_EXIT)
