"""The executor watch: which processes it takes for the executor's, and that it notices one end."""

import os
import subprocess
import sys
import threading

import pytest

from pie_trtllm_runtime.executor_watch import ExecutorWatch, executor_processes

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _spawn(new_session):
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=new_session)


def test_only_processes_outside_the_runtimes_session_that_came_after_before_are_watched():
    earlier = _spawn(True)
    try:
        before = executor_processes(os.getpid())
        assert earlier.pid in [pid for pid, _start, _command in before]
        same_session, daemon = _spawn(False), _spawn(True)
        try:
            watch = ExecutorWatch(before, poll_s=0.01)
            assert watch.watched == [daemon.pid]
        finally:
            for process in (same_session, daemon):
                process.kill()
                process.wait()
    finally:
        earlier.kill()
        earlier.wait()


def test_the_end_of_a_watched_process_is_reported_once_and_not_after_stop():
    daemon = _spawn(True)
    ended = []
    noticed = threading.Event()
    watch = ExecutorWatch([], poll_s=0.01, on_broken=lambda pid, command: (ended.append(pid), noticed.set())).start()
    try:
        assert watch.watched == [daemon.pid]
        daemon.kill()
        daemon.wait()
        assert noticed.wait(5)
        assert ended == [daemon.pid]
    finally:
        watch.stop()


def test_an_end_after_stop_is_not_reported():
    daemon = _spawn(True)
    ended = []
    watch = ExecutorWatch([], poll_s=0.01, on_broken=lambda pid, command: ended.append(pid)).start()
    watch.stop()
    daemon.kill()
    daemon.wait()
    watch._thread.join(5)
    assert ended == []


def test_nothing_below_the_runtime_means_nothing_is_watched():
    watch = ExecutorWatch(executor_processes(os.getpid()), poll_s=0.01).start()
    assert watch.watched == [] and watch._thread is None
