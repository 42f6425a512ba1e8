"""A replica spanning several GPUs: the runtime pins its group's devices and hands the parallel sizes
to `LLM(...)`, which starts one worker per rank and refuses a group its visible GPUs cannot hold
(TensorRT-LLM's check, see simulated_trtllm/devices.py). Verified with the simulated engine only."""

import os
import signal
import time

import pytest

from helpers import GREEDY, batch, greedy_continuation
from pie_trtllm_runtime.loader import visible_devices
from pie_trtllm_runtime.simulated_trtllm import LLM
from runtime_process import PYTHON_DIR, RuntimeProcess
from test_process_model import alive, replica_tree


def group_config(device, tensor_parallel_size, options=None):
    """A launch config for one replica spanning `device` (a group such as "cuda:0,cuda:1")."""
    return {"driver": {"options": options or {}, "random_seed": 42, "tensor_parallel_size": tensor_parallel_size},
            "model": {"name": "m", "hf_repo": "sim"}, "device": device, "simulate": True}


def test_a_group_of_devices_becomes_one_visible_list():
    assert visible_devices("cuda:0") == "0"
    assert visible_devices("cuda:2,cuda:3") == "2,3"
    assert visible_devices(" cuda:4 , cuda:5 ") == "4,5"
    assert visible_devices("cpu") is None
    assert visible_devices("cuda:0,cpu") is None
    assert visible_devices("") is None


def test_a_tensor_parallel_group_serves_with_a_worker_per_rank_and_reports_its_world_size():
    config = group_config("cuda:0,cuda:1,cuda:2,cuda:3", 2, {"pipeline_parallel_size": 2})
    runtime = RuntimeProcess(config=config)
    try:
        assert runtime.handshake[-1] == {"ready": True}, runtime.handshake
        assert len(replica_tree(runtime.process.pid)[1]) == 4  # tensor 2 × pipeline 2 ranks
        reply = runtime.call({"op": "forward", "batch": batch([(1, [1, 2, 3], 0, GREEDY)])})
        assert reply["results"] == [greedy_continuation([1, 2, 3], 1)]
        status = runtime.call({"op": "status"})["status"]
        assert status["world_size"] == 4 and status["simulated_engine"]["world_size"] == 4
        runtime.call({"op": "shutdown"})
    finally:
        runtime.close()


def test_llm_kwargs_that_change_the_rank_count_are_refused_before_load():
    config = group_config("cuda:0,cuda:1", 2, {"llm_kwargs": {"tensor_parallel_size": 4}})
    runtime = RuntimeProcess(config=config)
    try:
        error = runtime.handshake[0]["error"]
        assert error == {"code": "CONFIG_INVALID", "message": (
            "LLM(...) would run 4 ranks (tensor × pipeline × context parallel, after llm_kwargs), but this replica's group "
            "cuda:0,cuda:1 has 2 GPUs; set tensor_parallel_size and options.pipeline_parallel_size in [model.driver] "
            "(not in llm_kwargs) so each group has one GPU per rank")}
        runtime.process.wait(timeout=10)
    finally:
        runtime.close()


def test_the_engine_checks_only_this_node_share_of_the_ranks(monkeypatch):
    monkeypatch.setenv("TLLM_WORKER_USE_SINGLE_PROCESS", "0")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    # gpus_per_node says 4 per node, 2 are visible: 4 ranks // ceil(4 / 4) nodes = 4 needed here.
    with pytest.raises(RuntimeError, match=r"^Only 2 GPUs are available, but 4 are required\.$"):
        LLM("m", tensor_parallel_size=4, gpus_per_node=4, skip_tokenizer_init=True)
    # By default gpus_per_node is the visible count: 4 ranks are taken for 2 nodes of 2 and pass.
    llm = LLM("m", tensor_parallel_size=4, skip_tokenizer_init=True)
    try:
        assert llm.world_size == 4
    finally:
        llm.shutdown()
    monkeypatch.setenv("RAY_LOCAL_WORLD_SIZE", "4")  # inside a Ray actor the check is left to Ray
    LLM("m", tensor_parallel_size=4, gpus_per_node=4, skip_tokenizer_init=True).shutdown()


def test_the_ray_orchestrator_needs_ray_and_pins_nothing(tmp_path):
    config = group_config("cuda:0,cuda:1", 2, {"llm_kwargs": {"orchestrator_type": "ray"}})
    without = RuntimeProcess(config=config)
    try:
        assert without.handshake[0]["error"]["code"] == "ENGINE_IMPORT_FAILED"  # the environment lacks it, not the configuration
        assert "No module named 'ray'" in without.handshake[0]["error"]["message"]
    finally:
        without.close()
    # A stand-in `ray` package; unpinned, the simulated engine counts PIE_TRTLLM_SIMULATE_GPUS.
    (tmp_path / "ray").mkdir()
    (tmp_path / "ray" / "__init__.py").write_text("")
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), PYTHON_DIR]), "PIE_TRTLLM_SIMULATE_GPUS": "2"}
    with_ray = RuntimeProcess(config=config, env=env)
    try:
        assert with_ray.handshake[-1] == {"ready": True}, with_ray.handshake
        assert with_ray.call({"op": "status"})["status"]["world_size"] == 2
        with_ray.call({"op": "shutdown"})
    finally:
        with_ray.close()


def test_a_killed_replica_leaves_none_of_its_workers():
    config = group_config("cuda:0,cuda:1", 2)
    runtime = RuntimeProcess(config=config)
    try:
        _, workers = replica_tree(runtime.process.pid)
        assert len(workers) == 2
        os.kill(runtime.process.pid, signal.SIGKILL)  # no shutdown: the MPI daemon ends them
        runtime.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(w) for w in workers)
    finally:
        runtime.close()
