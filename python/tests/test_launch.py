import json
import os
import subprocess
import sys

from helpers import GREEDY, batch, greedy_continuation
from runtime_process import PYTHON_DIR, RuntimeProcess, runtime_package


def test_launch_ready_serve_shutdown():
    runtime = RuntimeProcess()
    try:
        first, ready = runtime.handshake
        assert ready == {"ready": True}
        caps = first["capabilities"]
        assert caps["max_custom_mask_bytes"] == 0 and caps["max_logprob_labels"] == 0
        assert caps["supports_user_attention_mask"] is False and caps["supports_adapters"] is False
        assert caps["vocab_size"] == 32000 and caps["arch_name"] == "SimulatedForCausalLM"
        assert first["engine"]["name"] == "simulated"
        assert runtime.call({"op": "capabilities"})["capabilities"] == caps
        reply = runtime.call({"op": "forward", "batch": batch([(1, [1, 2, 3], 0, GREEDY)])})
        assert reply["results"] == [greedy_continuation([1, 2, 3], 1)]
        status = runtime.call({"op": "status"})["status"]
        assert status["pid"] == runtime.process.pid and status["engine_calls"] == 1 and status["tokens_generated"] == 1
        assert runtime.call({"op": "shutdown"}) == {"id": 4, "ok": True}
        assert runtime.process.wait(timeout=10) == 0
    finally:
        runtime.close()


def test_three_contexts_forty_greedy_steps_fork_and_release():
    runtime = RuntimeProcess({"lookahead_tokens": 16})
    try:
        prompts = {1: [11, 12], 2: [21, 22, 23], 3: [31]}
        tokens = {c: [] for c in prompts}
        reply = runtime.call({"op": "forward", "batch": batch([(c, p, 0, GREEDY) for c, p in prompts.items()])})
        for c, result in zip(prompts, reply["results"]):
            tokens[c].append(result[0])
        for _ in range(39):
            requests = [(c, [tokens[c][-1]], len(prompts[c]) + len(tokens[c]) - 1, GREEDY) for c in prompts]
            for c, result in zip(prompts, runtime.call({"op": "forward", "batch": batch(requests)})["results"]):
                tokens[c].append(result[0])
        for c, prompt in prompts.items():
            assert tokens[c] == greedy_continuation(prompt, 40)
        status = runtime.call({"op": "status"})["status"]
        assert status["engine_calls"] <= 8, status
        assert status["tokens_generated"] == 120

        # A fork continues from the parent's tokens.
        assert runtime.call({"op": "fork", "parent": 1, "child": 9, "length": 2})["ok"] is True
        reply = runtime.call({"op": "forward", "batch": batch([(9, [500], 2, GREEDY)])})
        assert reply["results"] == [greedy_continuation([11, 12, 500], 1)]

        # A released context answers MISSING_REPLAY_PREFIX.
        assert runtime.call({"op": "release", "context_ids": [2]})["ok"] is True
        reply = runtime.call({"op": "forward", "batch": batch([(2, [tokens[2][-1]], 42, GREEDY)])})
        assert reply["results"][0]["error"]["code"] == "MISSING_REPLAY_PREFIX"
    finally:
        runtime.close()


def test_malformed_frames_and_unknown_ops_are_answered_and_serving_goes_on():
    runtime = RuntimeProcess()
    try:
        runtime.writer.write_bytes(b"{not json")
        assert json.loads(runtime.reader.read_frame())["error"]["code"] == "INVALID_REQUEST"
        assert runtime.call({"op": "teleport"})["error"]["code"] == "INVALID_REQUEST"
        bad = batch([(1, [1], 0, GREEDY)], qo_indptr=[0, 5])
        assert runtime.call({"op": "forward", "batch": bad})["results"][0]["error"]["code"] == "INVALID_REQUEST"
        assert runtime.call({"op": "forward"})["error"]["code"] == "INVALID_REQUEST"
        reply = runtime.call({"op": "forward", "batch": batch([(1, [1], 0, GREEDY)])})
        assert reply["results"] == [greedy_continuation([1], 1)]
    finally:
        runtime.close()


def test_engine_failure_on_a_chosen_call_fails_that_call_only():
    runtime = RuntimeProcess(env={"PIE_TRTLLM_SIMULATE_FAIL_CALLS": "1"})
    try:
        reply = runtime.call({"op": "forward", "batch": batch([(1, [1], 0, GREEDY), (2, [7], 0, None)])})
        assert reply["results"][0]["error"]["code"] == "ENGINE_ERROR"
        assert reply["results"][1] == []
        reply = runtime.call({"op": "forward", "batch": batch([(1, [1], 0, GREEDY)])})
        assert reply["results"] == [greedy_continuation([1], 1)]
    finally:
        runtime.close()


def test_start_up_errors_come_on_the_handshake_with_a_code():
    runtime = RuntimeProcess({"execution_mode": "worker"})
    try:
        assert runtime.handshake[0]["error"]["code"] == "UNSUPPORTED_EXECUTION_MODE"
        assert runtime.handshake[0]["error"]["message"] == 'execution_mode = \'worker\' is not one of "generate", "pyexecutor"'
    finally:
        runtime.close()
    assert runtime.process.returncode == 1
    for options, refused in (({"execution_mode": "pyexecutor", "max_history_tokens": 64}, "max_history_tokens"),
                             ({"execution_mode": "pyexecutor", "lookahead_mode": "window"}, "lookahead_mode")):
        runtime = RuntimeProcess(options)
        try:
            assert runtime.handshake[0]["error"]["code"] == "CONFIG_INVALID"
            assert refused in runtime.handshake[0]["error"]["message"]
        finally:
            runtime.close()
    runtime = RuntimeProcess(simulate=False)
    try:
        assert runtime.handshake[0]["error"]["code"] == "ENGINE_IMPORT_FAILED"
        assert "doctor" in runtime.handshake[0]["error"]["message"]
    finally:
        runtime.close()


def test_end_of_request_channel_stops_the_runtime():
    runtime = RuntimeProcess()
    runtime.close()
    assert runtime.process.returncode == 0


# The runtime with a host watch that takes half a second to hear that the runtime serves: a host
# that closes the channel as soon as it reads ready must still get the orderly end (exit 0), not
# the end of a runtime whose host left while it started (exit 3).
SLOW_SERVING_MAIN = """import sys
import time

from pie_trtllm_runtime import host_watch
from pie_trtllm_runtime.launcher import main

serving = host_watch.HostWatch.serving


def slow_serving(self):
    time.sleep(0.5)
    serving(self)


host_watch.HostWatch.serving = slow_serving

if __name__ == "__main__":
    sys.exit(main())
"""


def test_a_host_that_closes_on_ready_gets_an_orderly_end_however_slowly_serving_is_heard(tmp_path):
    runtime = RuntimeProcess(env=runtime_package(tmp_path, "slow_serving_runtime", SLOW_SERVING_MAIN), module="slow_serving_runtime")
    assert runtime.handshake[-1] == {"ready": True}
    runtime.close()
    assert runtime.process.returncode == 0


def test_probe_reports_this_interpreter():
    out = subprocess.run([sys.executable, "-m", "pie_trtllm_runtime", "--probe"], cwd=PYTHON_DIR, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    report = json.loads(out.stdout)
    assert report["python"]["version"].startswith("3.")
    assert report["tensorrt_llm"]["ok"] is False and "error" in report["tensorrt_llm"]
    assert set(report) >= {"mpi4py", "mpi_library", "torch", "cuda", "runtime"}


def test_spin_budget_follows_the_ipc_profile():
    from pie_trtllm_runtime.launcher import spin_budget_us
    assert spin_budget_us({}) == 1000
    assert spin_budget_us({"ipc_profile": "power"}) == 0
    assert spin_budget_us({"ipc_profile": "latency"}) is None
    assert spin_budget_us({"ipc_profile": "power", "spin_budget_us": 25}) == 25


def test_every_ipc_profile_serves():
    for driver in ({"ipc_profile": "power"}, {"ipc_profile": "latency"}, {"spin_budget_us": 50}):
        runtime = RuntimeProcess(driver=driver)
        try:
            for step in range(3):
                reply = runtime.call({"op": "forward", "batch": batch([(1, [step + 1], step, GREEDY)])})
                assert len(reply["results"]) == 1 and len(reply["results"][0]) == 1
            assert runtime.call({"op": "shutdown"})["ok"] is True
        finally:
            runtime.close()
        assert runtime.process.returncode == 0


def test_replies_name_the_contexts_the_runtime_evicted():
    runtime = RuntimeProcess({"max_session_histories": 2})
    try:
        runtime.call({"op": "forward", "batch": batch([(1, [1], 0, None), (2, [2], 0, None)])})
        reply = runtime.call({"op": "forward", "batch": batch([(3, [3], 0, None)])})
        assert reply["evicted"] == [1]
        assert "evicted" not in runtime.call({"op": "forward", "batch": batch([(3, [4], 1, None)])})
    finally:
        runtime.close()


def test_a_launch_config_nested_past_the_decoder_depth_is_config_invalid(tmp_path):
    from pie_trtllm_runtime.codes import CONFIG_INVALID, StartupError
    from pie_trtllm_runtime.launcher import read_config

    path = tmp_path / "launch.json"
    kwargs = "{\"a\":" * 100000 + "1" + "}" * 100000
    path.write_text('{"model":{"hf_repo":"m"},"driver":{"options":{"llm_kwargs":%s}}}' % kwargs, encoding="utf-8")
    try:
        read_config(str(path))
    except StartupError as error:
        assert error.code == CONFIG_INVALID and "cannot read the launch config" in error.message
    else:
        raise AssertionError("a config deeper than the JSON decoder can read was accepted")


def test_a_python_below_3_10_gets_one_handshake_line_not_a_traceback():
    from pie_trtllm_runtime.__main__ import unsupported_python

    assert unsupported_python((3, 10, 0)) is None and unsupported_python((3, 12, 3)) is None
    assert unsupported_python((3, 9, 18)).startswith("Python 3.9 runs the runtime, but TensorRT-LLM 1.2.1")
    read_end, write_end = os.pipe()
    pretend = "import sys, runpy; sys.version_info = (3, 9, 18, 'final', 0); runpy.run_module('pie_trtllm_runtime', run_name='__main__')"
    process = subprocess.run([sys.executable, "-c", pretend, "--config", "x", "--handshake-fd", str(write_end)], pass_fds=(write_end,),
                             cwd=PYTHON_DIR, capture_output=True, text=True, timeout=30)
    os.close(write_end)
    line = os.read(read_end, 65536).decode()
    os.close(read_end)
    assert process.returncode == 1 and "Traceback" not in process.stderr
    assert json.loads(line)["error"]["code"] == "ENGINE_IMPORT_FAILED"
    assert "need Python 3.10 to 3.12" in json.loads(line)["error"]["message"]


def test_removing_the_launch_config_removes_its_folder_even_when_another_thread_took_the_file(tmp_path):
    from pie_trtllm_runtime.launcher import remove_config
    folder = tmp_path / "pie-trtllm-x"
    folder.mkdir()
    config = folder / "launch.json"
    config.write_text("{}")
    remove_config(str(config))
    assert not folder.exists()
    # The host watch and the main thread both remove it; the second finds the file gone and the
    # folder still there (the first ended before its rmdir).
    folder.mkdir()
    remove_config(str(config))
    assert not folder.exists()
    # A folder that holds more is the host's to remove.
    folder.mkdir()
    (folder / "other").write_text("")
    config.write_text("{}")
    remove_config(str(config))
    assert sorted(p.name for p in folder.iterdir()) == ["other"]
