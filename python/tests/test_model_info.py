"""Model limits as TensorRT-LLM 1.2 computes them (`PyTorchModelEngine._infer_max_seq_len_from_config`):
max_position_embeddings (top level, else text_config), else 2048; times the rope factor unless the
rope type is su, longrope, llama3 or yarn; then the smaller of that and max_seq_len. Expected values
are worked out by hand from each fixture."""

import json
import os

import pytest

from pie_trtllm_runtime.codes import ENGINE_LOAD_FAILED, MODEL_NOT_FOUND, StartupError
from pie_trtllm_runtime.model_info import read_model_info

MODELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "models")


@pytest.mark.parametrize("name, max_len, end_id, vocab", [
    ("llama3", 131072, 128001, 128256),     # llama3 rope type: factor 8 not applied
    ("qwen3", 40960, 151645, 151936),       # no rope scaling
    ("gemma3", 131072, 1, 262208),          # length from text_config; the rope factor there is not read
    ("rope_linear", 10240, 2, 32000),       # 4096 * 2.5
    ("no_positions", 2048, 50256, 50257),   # n_positions is not read: TensorRT-LLM's default 2048
])
def test_model_length_end_id_and_vocabulary(name, max_len, end_id, vocab):
    model = read_model_info(os.path.join(MODELS, name))
    assert (model.max_model_len, model.end_id, model.vocab_size) == (max_len, end_id, vocab)


def test_max_seq_len_clamps_but_never_raises_the_length():
    assert read_model_info(os.path.join(MODELS, "qwen3"), 8192).max_model_len == 8192
    assert read_model_info(os.path.join(MODELS, "qwen3"), 100000).max_model_len == 40960


def test_a_model_without_eos_token_id_still_starts():
    model = read_model_info(os.path.join(MODELS, "no_eos"))
    assert model.end_id == -1 and model.pad_id == -1 and model.max_model_len == 32768


def _write_config(tmp_path, config):
    (tmp_path / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return str(tmp_path)


@pytest.mark.parametrize("config, field", [
    ({"vocab_size": 0}, "vocab_size"),
    ({"vocab_size": -5}, "vocab_size"),
    ({"vocab_size": "32000"}, "vocab_size"),
    ({"vocab_size": True}, "vocab_size"),
    ({"padded_vocab_size": 1.5}, "padded_vocab_size"),
    ({"max_position_embeddings": 0}, "max_position_embeddings"),
    ({"max_position_embeddings": "x"}, "max_position_embeddings"),
    ({"text_config": {"max_position_embeddings": -1}}, "text_config.max_position_embeddings"),
    ({"text_config": [1]}, "text_config"),
    ({"architectures": 5}, "architectures"),
    ({"architectures": [None]}, "architectures"),
    ({"model_type": 7}, "model_type"),
    ({"rope_scaling": "linear"}, "rope_scaling"),
    ({"rope_scaling": {"type": "linear", "factor": 0}}, "rope_scaling.factor"),
    ({"rope_scaling": {"type": "linear", "factor": "2"}}, "rope_scaling.factor"),
    ({"rope_scaling": {"type": "linear", "factor": float("inf")}}, "rope_scaling.factor"),
])
def test_a_corrupt_model_config_fails_at_start_naming_the_field(tmp_path, config, field):
    with pytest.raises(StartupError) as raised:
        read_model_info(_write_config(tmp_path, config))
    assert raised.value.code == ENGINE_LOAD_FAILED
    assert ("config.json: %s must be " % field) in raised.value.message


@pytest.mark.parametrize("config, max_len, vocab", [
    ({"vocab_size": 1, "max_position_embeddings": 1}, 1, 1),  # the smallest values that serve
    ({"vocab_size": 2, "max_position_embeddings": 3, "rope_scaling": {"type": "linear", "factor": 0.5}}, 2, 2),  # ceil(1.5)
])
def test_the_smallest_usable_model_config_starts(tmp_path, config, max_len, vocab):
    model = read_model_info(_write_config(tmp_path, config))
    assert (model.max_model_len, model.vocab_size) == (max_len, vocab)


def test_a_config_nested_past_the_decoder_depth_is_refused_with_a_code(tmp_path):
    (tmp_path / "config.json").write_text("[" * 100000 + "]" * 100000, encoding="utf-8")
    with pytest.raises(StartupError) as raised:
        read_model_info(str(tmp_path))
    assert raised.value.code == MODEL_NOT_FOUND


@pytest.mark.parametrize("target, why", [
    ("/dev/zero", "is not a regular file"),
    (None, "is not a regular file"),  # a folder
])
def test_a_config_json_that_is_a_device_or_folder_is_refused_unread(tmp_path, target, why):
    config = tmp_path / "config.json"
    if target is None:
        config.mkdir()
    else:
        config.symlink_to(target)
    with pytest.raises(StartupError) as raised:
        read_model_info(str(tmp_path))
    assert raised.value.code == MODEL_NOT_FOUND and why in raised.value.message


def test_a_config_json_above_the_cap_is_refused_and_one_at_it_is_read(tmp_path, monkeypatch):
    from pie_trtllm_runtime import bounded_json
    text = json.dumps({"architectures": ["LlamaForCausalLM"], "vocab_size": 100})
    (tmp_path / "config.json").write_text(text)
    monkeypatch.setattr(bounded_json.read_json_file, "__defaults__", (len(text),))
    assert read_model_info(str(tmp_path)).vocab_size == 100
    monkeypatch.setattr(bounded_json.read_json_file, "__defaults__", (len(text) - 1,))
    with pytest.raises(StartupError) as raised:
        read_model_info(str(tmp_path))
    assert "bytes, above the %d" % (len(text) - 1) in raised.value.message
