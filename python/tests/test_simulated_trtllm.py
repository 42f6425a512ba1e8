import pytest

from pie_trtllm_runtime import simulated_trtllm as trt
from pie_trtllm_runtime.loader import llm_arguments


def test_unknown_llm_argument_is_refused():
    with pytest.raises(ValueError, match="LLM got invalid argument: max_num_kv_pages"):
        trt.LLM("m", skip_tokenizer_init=True, max_num_kv_pages=3)


def test_tensorrt_engine_only_argument_is_refused():
    with pytest.raises(ValueError, match="TensorRT backend"):
        trt.LLM("m", build_config={})


def test_post_1_2_fields_are_not_part_of_1_2_1():
    with pytest.raises(TypeError, match="logprobs_mode"):
        trt.SamplingParams(logprobs_mode="raw")
    with pytest.raises(ValueError, match="use_kv_cache_manager_v2"):
        trt.KvCacheConfig(use_kv_cache_manager_v2=True)


def test_sampling_params_are_keyword_only_and_strict():
    with pytest.raises(TypeError):
        trt.SamplingParams(4)
    with pytest.raises(TypeError, match="random_seed"):
        trt.SamplingParams(random_seed=1)
    with pytest.raises(ValueError):
        trt.SamplingParams(top_p=1.5)


def test_end_id_is_required_without_a_tokenizer():
    llm = trt.LLM("m", skip_tokenizer_init=True)
    with pytest.raises(ValueError, match="end_id"):
        llm.generate([[1, 2]], sampling_params=trt.SamplingParams(max_tokens=1))


def test_generate_shapes_and_the_default_greedy_rule(monkeypatch):
    monkeypatch.delenv("PIE_TRTLLM_SIMULATE_RULE")
    llm = trt.LLM("m", skip_tokenizer_init=True)
    params = trt.SamplingParams(max_tokens=3, temperature=0, end_id=2, ignore_eos=True)
    single = llm.generate([5, 6], sampling_params=params, cache_salt="1")
    batched = llm.generate([[5, 6]], sampling_params=[params], cache_salt=["1"], use_tqdm=False)
    assert isinstance(batched, list) and single.outputs[0].token_ids == batched[0].outputs[0].token_ids
    h = [5, 6]
    for token in single.outputs[0].token_ids:
        assert token == (31 * h[-1] + 7 * len(h) + 1) % 32000
        h.append(token)
    with pytest.raises(TypeError):
        llm.generate((5, 6), sampling_params=params)
    with pytest.raises(TypeError):
        llm.generate([[5]], sampling_params=params, cache_salt=[3])
    llm.shutdown()
    with pytest.raises(RuntimeError, match="shutting down"):
        llm.generate([[5]], sampling_params=params)


def test_driver_arguments_fit_the_real_signature():
    options = {"backend": "pytorch", "attn_backend": "TRTLLM", "max_seq_len": 2048, "max_batch_size": 8,
               "max_num_tokens": 4096, "enable_chunked_prefill": True, "kv_cache_free_gpu_memory_fraction": 0.5,
               "llm_kwargs": {"max_batch_size": 4, "dtype": "float16"}}
    arguments = llm_arguments(trt, options, "bf16")
    assert arguments["max_batch_size"] == 4  # llm_kwargs wins
    assert arguments["dtype"] == "float16"
    assert arguments["kv_cache_config"].free_gpu_memory_fraction == 0.5
    llm = trt.LLM("m", **arguments)  # accepted by the strict signature
    assert llm.args["attn_backend"] == "TRTLLM"
    with pytest.raises(ValueError, match="invalid argument"):
        trt.LLM("m", **llm_arguments(trt, {"llm_kwargs": {"no_such_knob": 1}}, "auto"))


def test_whole_prompt_rule_reads_every_token():
    llm = trt.LLM("m", skip_tokenizer_init=True)  # conftest selects PIE_TRTLLM_SIMULATE_RULE=prompt
    params = trt.SamplingParams(max_tokens=4, temperature=0, end_id=2, ignore_eos=True)
    h = [5, 6, 7]
    out = llm.generate([list(h)], sampling_params=[params])[0].outputs[0].token_ids
    for token in out:
        assert token == (31 * h[-1] + 7 * len(h) + 1 + sum((i + 1) * t for i, t in enumerate(h))) % 32000
        h.append(token)
    # A different token early in the prompt changes the answer.
    other = llm.generate([[4, 6, 7]], sampling_params=[params])[0].outputs[0].token_ids
    assert other[0] != out[0]


def test_an_unknown_rule_is_refused(monkeypatch):
    monkeypatch.setenv("PIE_TRTLLM_SIMULATE_RULE", "middle")
    with pytest.raises(ValueError, match="PIE_TRTLLM_SIMULATE_RULE"):
        trt.LLM("m", skip_tokenizer_init=True)


@pytest.mark.parametrize("name, value", [
    ("mpi_session", None), ("_mpi_session", None), ("peft_cache_config", None), ("cache_transceiver_config", None),
    ("moe_cluster_parallel_size", None), ("moe_tensor_parallel_size", None), ("moe_expert_parallel_size", None),
    ("batched_logits_processor", None), ("iter_stats_max_iterations", 10), ("request_stats_max_iterations", 10),
    ("reasoning_parser", "deepseek-r1"), ("env_overrides", {}), ("sampler_type", "TorchSampler"),
    ("disable_flashinfer_sampling", True), ("orchestrator_type", None),
])
def test_every_1_2_1_llm_argument_is_accepted(name, value):
    trt.LLM("m", skip_tokenizer_init=True, **{name: value}).shutdown()


def test_arguments_from_after_1_2_1_are_refused():
    with pytest.raises(ValueError, match="generation_config"):
        trt.LLM("m", skip_tokenizer_init=True, generation_config="auto")
    with pytest.raises(ValueError, match="max_util_for_resume"):
        trt.KvCacheConfig(max_util_for_resume=0.9)


@pytest.mark.parametrize("kwargs", [{}, {"backend": "pytorch"}, {"backend": "_autodeploy"}])
def test_the_pytorch_llm_takes_its_own_backends(kwargs):
    trt.LLM("m", skip_tokenizer_init=True, **kwargs).shutdown()


@pytest.mark.parametrize("backend", [None, "tensorrt", "trt", "PyTorch"])
def test_any_other_backend_fails_at_load(backend):
    with pytest.raises(ValueError, match="backend"):
        trt.LLM("m", skip_tokenizer_init=True, backend=backend)


def test_sampling_params_validate_as_1_2_1():
    # No max_tokens check at construction in 1.2.1.
    assert trt.SamplingParams(max_tokens=0).max_tokens == 0
    # Greedy with more than one return is refused, unless allowed by the environment.
    with pytest.raises(ValueError, match="best_of"):
        trt.SamplingParams(temperature=0, n=2)
    with pytest.raises(ValueError, match="best_of"):
        trt.SamplingParams(top_k=1, best_of=3)
    assert trt.SamplingParams(temperature=0.5, best_of=3).best_of == 3
    assert trt.SamplingParams(top_p=0).is_greedy()


def test_sampler_type_is_checked():
    with pytest.raises(ValueError, match="sampler_type"):
        trt.LLM("m", skip_tokenizer_init=True, sampler_type="FlashSampler")


@pytest.mark.parametrize("fraction", [1.0, 0.0])
def test_kv_cache_fraction_outside_0_1_fails_at_load(fraction):
    with pytest.raises((AssertionError, RuntimeError)):
        trt.LLM("m", skip_tokenizer_init=True, kv_cache_config=trt.KvCacheConfig(free_gpu_memory_fraction=fraction))
    trt.LLM("m", skip_tokenizer_init=True, kv_cache_config=trt.KvCacheConfig(free_gpu_memory_fraction=0.95)).shutdown()


def test_statistics_come_through_an_explicit_interface():
    llm = trt.LLM("m", skip_tokenizer_init=True)
    llm.generate([[1]], sampling_params=[trt.SamplingParams(max_tokens=2, temperature=0, end_id=2, ignore_eos=True)])
    assert trt.simulation_statistics(llm)["calls"] == 1
    assert trt.simulation_statistics(llm)["generated_tokens"] == 2
    with pytest.raises(TypeError):
        trt.simulation_statistics(object())


def _greedy(max_tokens):
    return trt.SamplingParams(max_tokens=max_tokens, end_id=2, pad_id=2)


def test_get_stats_before_any_request_warns_and_returns_nothing(capsys):
    # executor.py get_stats: no IterationResult before the first submission.
    llm = trt.LLM("m", skip_tokenizer_init=True, enable_iter_perf_stats=True)
    try:
        assert llm.get_stats(timeout=0.01) == []
        assert "AFTER prompts have been submitted" in capsys.readouterr().out
    finally:
        llm.shutdown()


def test_get_stats_is_empty_without_enable_iter_perf_stats():
    llm = trt.LLM("m", skip_tokenizer_init=True)
    try:
        llm.generate([1, 2, 3], _greedy(4))
        assert llm.get_stats(timeout=0.01) == []
    finally:
        llm.shutdown()


def test_get_stats_drains_keeps_max_stats_len_and_waits_for_a_new_request():
    # Clock off: one entry per request. max_stats_len 2 keeps the last two of three; a drained
    # IterationResult gives nothing more until the next submission (result.py mark_undone).
    llm = trt.LLM("m", skip_tokenizer_init=True, enable_iter_perf_stats=True, max_stats_len=2)
    try:
        for prompt_length in (10, 40, 70):
            llm.generate(list(range(3, 3 + prompt_length)), _greedy(4))
        entries = llm.get_stats(timeout=0.01)
        assert [e["iter"] for e in entries] == [2, 3]
        # 70 prompt tokens and 4 made fill ceil(74 / 32) = 3 blocks of 32.
        assert entries[-1]["kvCacheStats"]["usedNumBlocks"] == 3
        assert entries[-1]["kvCacheStats"]["tokensPerBlock"] == 32
        assert llm.get_stats(timeout=0.01) == []
        llm.generate([5, 6], _greedy(2))
        assert [e["iter"] for e in llm.get_stats(timeout=0.01)] == [4]
        assert llm.get_stats(timeout=-1) == []  # drained: the queue is not read
        llm.generate([5, 6], _greedy(2))
        with pytest.raises(ValueError):
            llm.get_stats(timeout=-1)  # Queue.get refuses a negative timeout
    finally:
        llm.shutdown()
