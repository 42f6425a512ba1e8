"""Launches the runtime as the TypeScript driver does: handshake descriptor, request and reply
descriptors, framed JSON."""

import json
import os
import subprocess
import sys
import tempfile

from pie_trtllm_runtime.framing import FrameReader, FrameWriter

PYTHON_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def _environment(extra):
    """The test process's environment without its in-process executor switch: a runtime started as
    a process uses TensorRT-LLM's worker process model unless a test asks otherwise."""
    env = {k: v for k, v in os.environ.items() if k != "TLLM_WORKER_USE_SINGLE_PROCESS"}
    env.update(extra or {})
    return env


def runtime_package(tmp_path, name, main_source):
    """A package `name` in tmp_path whose __main__ is main_source, as a runtime module to start (a
    variant of the real one's main); returns the environment that puts it within reach."""
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(main_source)
    return {"PYTHONPATH": os.pathsep.join([str(tmp_path), PYTHON_DIR])}


class RuntimeProcess:
    def __init__(self, options=None, simulate=True, env=None, config=None, driver=None, module="pie_trtllm_runtime"):
        config = config or {"driver": dict({"options": options or {}, "random_seed": 42}, **(driver or {})),
                            "model": {"name": "m", "hf_repo": "sim"}, "device": "cuda:0", "simulate": simulate}
        handle, self.config_path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(handle, "w") as f:
            json.dump(config, f)
        hs_r, hs_w = os.pipe()
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, "--config", self.config_path, "--handshake-fd", str(hs_w),
             "--request-fd", str(req_r), "--response-fd", str(rep_w)],
            cwd=PYTHON_DIR, pass_fds=(hs_w, req_r, rep_w), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=_environment(env),
        )
        for fd in (hs_w, req_r, rep_w):
            os.close(fd)
        with os.fdopen(hs_r) as handshake:
            self.handshake = [json.loads(line) for line in handshake if line.strip()]
        self.writer = FrameWriter(req_w)
        self.reader = FrameReader(rep_r)
        self._fds = (req_w, rep_r)
        self._next = 0

    def call(self, message):
        self._next += 1
        message = dict(message, id=self._next)
        self.writer.write_json(message)
        reply = json.loads(self.reader.read_frame())
        assert reply["id"] == self._next
        return reply

    def close(self):
        for fd in self._fds:
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            self.process.wait(timeout=10)
        finally:
            os.unlink(self.config_path)
