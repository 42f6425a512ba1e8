"""The executor worker processes that `LLM(...)` starts, as TensorRT-LLM 1.2.1 does.

`GenerationExecutor.create` returns a proxy whose workers run in MPI processes spawned by mpi4py's
`MPIPoolExecutor`, one per rank, even for a single GPU, unless `TLLM_WORKER_USE_SINGLE_PROCESS=1`
(`executor/executor.py`: "this requires users to protect their entrypoint to
`if __name__ == "__main__":`"). The proxy then waits for each worker's ready signal and raises
`RuntimeError("Executor worker died during initialization")` when a worker ends first
(`executor/proxy.py`); a worker that hangs is waited for without limit.

Here each worker is a `worker_server.py` process started as mpi4py starts its server: the same
interpreter and flags, the parent's working directory and environment, and `-m`-style import path
(the working directory first). The simulated model itself computes in the parent."""

import json
import os
import select
import subprocess
import sys

_SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker_server.py")
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


class ExecutorWorkers:
    """One worker process per rank, started and awaited like TensorRT-LLM's MpiPoolSession."""

    def __init__(self, world_size):
        self.processes = []
        data = (json.dumps(_main_module()) + "\n").encode("utf-8")
        try:
            for _ in range(world_size):
                self.processes.append(self._spawn(data))
            for process, status in self.processes:
                self._await_ready(process, status)
        except BaseException:
            self.shutdown()
            raise

    @staticmethod
    def _spawn(data):
        status_read, status_write = os.pipe()
        env = dict(os.environ, PIE_TRTLLM_SIMULATE_WORKER_STATUS_FD=str(status_write))
        try:
            process = subprocess.Popen([sys.executable, *_python_flags(), "-c", _BOOTSTRAP], stdin=subprocess.PIPE,
                                       pass_fds=(status_write,), env=env, close_fds=True)
        finally:
            os.close(status_write)
        process.stdin.write(data)
        process.stdin.flush()
        return process, status_read

    @staticmethod
    def _await_ready(process, status):
        buffer = b""
        poller = select.poll()  # not select: the descriptor may be numbered above 1024
        poller.register(status, select.POLLIN)
        while True:
            if poller.poll(1000):
                chunk = os.read(status, 64)
                buffer += chunk
                if b"ready\n" in buffer:
                    os.close(status)
                    return
                if not chunk:  # the worker closed its status channel without a word
                    os.close(status)
                    process.wait()
                    raise RuntimeError("Executor worker died during initialization (exit code %s)" % process.returncode)
            elif process.poll() is not None:
                os.close(status)
                raise RuntimeError("Executor worker died during initialization (exit code %s)" % process.returncode)

    @property
    def world_size(self):
        return len(self.processes)

    def check_alive(self):
        """A worker that ended after start-up fails the next request, as the proxy's background
        error check does."""
        for process, _ in self.processes:
            if process.poll() is not None:
                raise RuntimeError("Executor worker %d exited (code %s); the executor is broken" % (process.pid, process.returncode))

    def shutdown(self):
        for process, _ in self.processes:
            try:
                process.stdin.close()
            except OSError:
                pass
        for process, _ in self.processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []
