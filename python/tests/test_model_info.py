"""Model limits as TensorRT-LLM 1.2 computes them (`PyTorchModelEngine._infer_max_seq_len_from_config`):
max_position_embeddings (top level, else text_config), else 2048; times the rope factor unless the
rope type is su, longrope, llama3 or yarn; then the smaller of that and max_seq_len. Expected values
are worked out by hand from each fixture."""

import os

import pytest

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
