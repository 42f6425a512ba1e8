"""The executor worker processes that `LLM(...)` starts, as TensorRT-LLM 1.2.1 does.

`GenerationExecutor.create` returns a proxy whose workers run in MPI processes spawned by mpi4py's
`MPIPoolExecutor`, one per rank, even for a single GPU, unless `TLLM_WORKER_USE_SINGLE_PROCESS=1`
(`executor/executor.py`: "this requires users to protect their entrypoint to
`if __name__ == "__main__":`"). The proxy then waits for each worker's ready signal and raises
`RuntimeError("Executor worker died during initialization")` when a worker ends first
(`executor/proxy.py`); a worker that hangs is waited for without limit.

Here each worker is a `worker_server.py` process started as mpi4py starts its server: the same
interpreter and flags, the parent's working directory and environment, and `-m`-style import path
(the working directory first). As with Open MPI, the workers are not the runtime's children: an
MPI daemon (`mpi_daemon.py`, standing for `orted --set-sid`) in a session of its own starts them,
each in its own process group, and kills them 1-3 s after the runtime dies. The simulated model
itself computes in the parent."""

import json
import os
import select
import subprocess
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_SERVER = os.path.join(_HERE, "worker_server.py")
_DAEMON = os.path.join(_HERE, "mpi_daemon.py")
# `python -m X` puts the working directory first on sys.path; so does this bootstrap.
_BOOTSTRAP = "import os, runpy, sys; sys.path[0] = os.getcwd(); sys.argv = [%r]; runpy.run_path(%r, run_name='__main__')" % (_SERVER, _SERVER)

_FLAGS = (("debug", "d"), ("optimize", "O"), ("no_user_site", "s"), ("no_site", "S"), ("isolated", "I"),
          ("ignore_environment", "E"), ("dont_write_bytecode", "B"), ("verbose", "v"), ("quiet", "q"), ("bytes_warning", "b"))


def single_process():
    """`enable_worker_single_process_for_tp1()` of TensorRT-LLM."""
    return os.environ.get("TLLM_WORKER_USE_SINGLE_PROCESS", "0") == "1"


def _python_flags():
    """mpi4py's `get_python_flags`: the interpreter flags a worker is started with."""
    flags = ["-" + letter * int(getattr(sys.flags, name, 0)) for name, letter in _FLAGS if getattr(sys.flags, name, 0) > 0]
    return flags + ["-W" + option for option in sys.warnoptions]


def _main_module():
    """What mpi4py's `_sync_get_data` sends: the main module's spec name, else its file."""
    main = sys.modules["__main__"]
    spec = getattr(main, "__spec__", None)
    return {"mod_name": getattr(spec, "name", None), "mod_path": getattr(main, "__file__", None)}


def _read_line(fd, timeout_s=None):
    """One line from a pipe, or what came before it closed ("" when nothing)."""
    buffer = b""
    poller = select.poll()  # not select: the descriptor may be numbered above 1024
    poller.register(fd, select.POLLIN | select.POLLHUP)
    while b"\n" not in buffer:
        if not poller.poll(None if timeout_s is None else int(timeout_s * 1000)):
            return None
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        buffer += chunk
    return buffer.decode("utf-8", "replace").split("\n")[0]


class ExecutorWorkers:
    """One worker process per rank, started through the MPI daemon and awaited like TensorRT-LLM's
    MpiPoolSession."""

    def __init__(self, world_size):
        from .gpu_memory import physical_gpus

        self.worker_pids = []
        self._channels = []  # per rank: (the write end of its stdin, the read end of its status)
        self.daemon = None
        # The daemon's died-pipe: this process holds the write end for as long as it lives.
        died_read, self._died_write = os.pipe()
        report_read, report_write = os.pipe()
        data = (json.dumps(_main_module()) + "\n").encode("utf-8")
        ranks, handed = [], [died_read, report_write]
        try:
            for rank, gpu in enumerate(physical_gpus(world_size)):
                stdin_read, stdin_write = os.pipe()
                status_read, status_write = os.pipe()
                handed += [stdin_read, status_write]
                self._channels.append((stdin_write, status_read))
                env = dict(os.environ, PIE_TRTLLM_SIMULATE_WORKER_STATUS_FD=str(status_write), PIE_TRTLLM_SIMULATE_WORKER_GPU=gpu,
                           PIE_TRTLLM_SIMULATE_WORKER_RANK=str(rank))
                ranks.append({"command": [sys.executable, *_python_flags(), "-c", _BOOTSTRAP], "stdin_fd": stdin_read,
                              "status_fd": status_write, "env": env})
            plan = {"ranks": ranks, "died_fd": died_read, "report_fd": report_write}
            self.daemon = subprocess.Popen([sys.executable, "-c", "import runpy; runpy.run_path(%r, run_name='__main__')" % _DAEMON, json.dumps(plan)],
                                           pass_fds=tuple(handed), close_fds=True, start_new_session=True)
        finally:
            for fd in handed:
                os.close(fd)
        try:
            report = _read_line(report_read)
            os.close(report_read)
            self.worker_pids = json.loads(report) if report else []
            if len(self.worker_pids) != world_size:
                raise RuntimeError("the MPI daemon did not start the executor workers")
            for stdin_write, _ in self._channels:
                os.write(stdin_write, data)
            for rank, (_, status_read) in enumerate(self._channels):
                line = _read_line(status_read)
                if line == "ready":
                    continue
                if line and line.startswith("error "):
                    raise RuntimeError(line[len("error "):])
                raise RuntimeError("Executor worker died during initialization (rank %d, pid %d)" % (rank, self.worker_pids[rank]))
        except BaseException:
            self.shutdown()
            raise

    @property
    def world_size(self):
        return len(self.worker_pids)

    def check_alive(self):
        """A worker that ended after start-up fails the next request, as the proxy's background
        error check does (its status channel closes when it ends)."""
        for rank, (_, status_read) in enumerate(self._channels):
            poller = select.poll()
            poller.register(status_read, select.POLLIN | select.POLLHUP)
            if poller.poll(0):
                raise RuntimeError("Executor worker %d exited; the executor is broken" % self.worker_pids[rank])

    def shutdown(self):
        """`LLM.shutdown()`: every worker is told to stop and waited for, then the daemon ends."""
        for stdin_write, _ in self._channels:
            try:
                os.write(stdin_write, b"shutdown\n")
            except OSError:
                pass
            os.close(stdin_write)
        for _, status_read in self._channels:
            _read_line(status_read, timeout_s=5)  # closes when the worker ends
            os.close(status_read)
        self._channels = []
        os.close(self._died_write)  # the daemon reaps its workers and ends
        if self.daemon is not None:
            try:
                self.daemon.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
        self.worker_pids = []
