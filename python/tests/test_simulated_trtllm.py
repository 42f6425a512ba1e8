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


def test_generate_shapes_and_the_greedy_rule():
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
