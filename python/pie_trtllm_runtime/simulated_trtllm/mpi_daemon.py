"""Stand-in for Open MPI's singleton daemon, `orted --hnp --set-sid --singleton-died-pipe FD`.

The first `MPIPoolExecutor` of a process that `mpirun` did not start makes Open MPI start this
daemon as the process's child; it calls `setsid()`, so it and its workers are outside the
runtime's process group and session, and it starts each rank's worker (`python -m
mpi4py.futures.server`) in a process group of its own (`reference/mpi-process-tree.md`, measured
with mpi4py 4.1.2 and Open MPI 4.1.6). It watches a pipe from the runtime; when the pipe closes
(the runtime ended, whatever way), it waits a moment (1-3 s measured; PIE_TRTLLM_SIMULATE_DAEMON_
KILL_DELAY_S, default 2) and kills the workers that are still there, SIGTERM then SIGKILL.

Standard library only: started with `python -c`, it imports nothing from this package."""

import json
import os
import select
import signal
import subprocess
import sys
import time


def _own_group():
    """Popen arguments that start a child in a process group of its own: `process_group` from
    Python 3.11 on; before, `setpgrp` in the child (this daemon runs no other thread, so the
    child's pre-exec call is safe)."""
    if sys.version_info >= (3, 11):
        return {"process_group": 0}
    return {"preexec_fn": os.setpgrp}


def _spawn(rank):
    # The worker is started as mpi4py starts its server: the parent's interpreter and flags.
    return subprocess.Popen(rank["command"], stdin=rank["stdin_fd"], pass_fds=(rank["status_fd"],), env=rank["env"],
                            close_fds=True, **_own_group())


def _end(workers, grace_s):
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for worker in workers:
        try:
            worker.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def main():
    plan = json.loads(sys.argv[1])
    workers = [_spawn(rank) for rank in plan["ranks"]]
    for rank in plan["ranks"]:
        os.close(rank["stdin_fd"])
        os.close(rank["status_fd"])
    # The runtime learns who its workers are from this line (it cannot see them as children).
    os.write(plan["report_fd"], (json.dumps([worker.pid for worker in workers]) + "\n").encode())
    os.close(plan["report_fd"])
    died = plan["died_fd"]
    poller = select.poll()
    poller.register(died, select.POLLIN | select.POLLHUP)
    while True:
        poller.poll()
        if not os.read(died, 64):
            break
    # The runtime is gone: workers that ended with it (a shutdown) are reaped, the rest killed.
    if any(worker.poll() is None for worker in workers):
        time.sleep(float(os.environ.get("PIE_TRTLLM_SIMULATE_DAEMON_KILL_DELAY_S", "2") or 0))
    _end(workers, 1.0)


if __name__ == "__main__":
    main()
