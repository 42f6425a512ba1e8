"""Notices a dead executor worker and ends the runtime, so its replica is replaced.

TensorRT-LLM 1.2.1 runs its executor in MPI worker processes: Open MPI's daemon (`orted
--set-sid`, a child of the runtime in a session of its own) and the workers it starts
(reference/mpi-process-tree.md). A worker that dies (a GPU fault, an Xid error, the OOM killer)
leaves the `LLM` broken: every request fails, or waits for a worker that is gone, while the
runtime itself looks alive. So once the engine is loaded, the runtime's descendants outside its
own session (the daemon and everything below it) are recorded, and watched; when one of them ends,
the runtime says why and ends with EXECUTOR_BROKEN_EXIT, and the host replaces it as after any
runtime death (its workers reaped, one restart). Processes in the runtime's own session (a
compiler pool, say) are not watched: they may come and go. With the executor in process
(TLLM_WORKER_USE_SINGLE_PROCESS=1) or placed by Ray there is nothing to watch. Linux only (/proc);
elsewhere nothing is watched."""

import logging
import os
import threading

log = logging.getLogger("pie_trtllm_runtime.executor_watch")

EXECUTOR_BROKEN_EXIT = 4
POLL_S = 0.25


def _stat(pid):
    """(ppid, session, start time, state) of a process, or None when it does not exist."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            data = handle.read().decode("latin-1")
    except OSError:
        return None
    fields = data[data.rindex(")") + 2:].split(" ")
    return int(fields[1]), int(fields[3]), int(fields[19]), fields[0]


def executor_processes(root):
    """(pid, start time, command) of every descendant of `root` outside its session, and below."""
    try:
        entries = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []
    stats = {}
    for pid in entries:
        stat = _stat(pid)
        if stat is not None and stat[3] != "Z":
            stats[pid] = stat
    children = {}
    for pid, (ppid, _session, _start, _state) in stats.items():
        children.setdefault(ppid, []).append(pid)
    own = stats.get(root)
    if own is None:
        return []
    found, pending = [], [(child, False) for child in children.get(root, [])]
    while pending:
        pid, below = pending.pop()
        _ppid, session, start, _state = stats[pid]
        outside = below or session != own[1]
        if outside:
            found.append((pid, start, _command(pid)))
        pending.extend((child, outside) for child in children.get(pid, []))
    return found


def _command(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()[:120]
    except OSError:
        return "?"


class ExecutorWatch:
    """Watches the executor processes that appeared since `before` (a list executor_processes
    returned before the engine loaded: anything else below the runtime is not this engine's)."""

    def __init__(self, before, root=None, poll_s=POLL_S, on_broken=None):
        known = {(pid, start) for pid, start, _command in before}
        found = executor_processes(root if root is not None else os.getpid())
        self._processes = [entry for entry in found if (entry[0], entry[1]) not in known]
        self._poll_s = poll_s
        self._on_broken = on_broken or _end_runtime
        self._stop = threading.Event()
        self._thread = None

    @property
    def watched(self):
        return [pid for pid, _start, _command in self._processes]

    def start(self):
        if self._processes:
            self._thread = threading.Thread(target=self._watch, name="executor-watch", daemon=True)
            self._thread.start()
        return self

    def stop(self):
        """The runtime shuts its executor down itself: its workers' ends are expected from here."""
        self._stop.set()

    def _watch(self):
        while not self._stop.wait(self._poll_s):
            for pid, start, command in self._processes:
                stat = _stat(pid)
                if stat is None or stat[3] == "Z" or stat[2] != start:
                    if not self._stop.is_set():
                        self._on_broken(pid, command)
                    return


def _end_runtime(pid, command):
    log.error("executor process %d (%s) ended: TensorRT-LLM's executor is broken (a GPU fault, say); the runtime ends so that its "
              "replica is replaced", pid, command)
    logging.shutdown()
    os._exit(EXECUTOR_BROKEN_EXIT)
