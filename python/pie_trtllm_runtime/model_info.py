"""What the driver needs to know about the model: architecture, vocabulary, length, end and pad ids.

Read from the model's `config.json` in a local folder or the Hugging Face cache, before the engine
loads, so a missing snapshot fails in a second, not after minutes of loading."""

import math
import os

from .bounded_json import read_json_file
from .codes import ENGINE_LOAD_FAILED, MODEL_NOT_FOUND, StartupError
from .engine import ModelInfo


def _hub_cache():
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    home = os.environ.get("HF_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "huggingface")
    return os.path.join(home, "hub")


def resolve_snapshot(hf_repo):
    """A local folder holding the model's config.json, or a StartupError that says how to get one."""
    if os.path.isdir(hf_repo):
        return hf_repo
    if hf_repo.count("/") == 1:
        snapshots = os.path.join(_hub_cache(), "models--" + hf_repo.replace("/", "--"), "snapshots")
        if os.path.isdir(snapshots):
            candidates = [os.path.join(snapshots, d) for d in os.listdir(snapshots)]
            candidates = [c for c in candidates if os.path.isfile(os.path.join(c, "config.json"))]
            if candidates:
                return max(candidates, key=os.path.getmtime)
    raise StartupError(
        MODEL_NOT_FOUND,
        "no local snapshot of %r (looked for a folder, then in %s); download it first, e.g. "
        "`huggingface-cli download %s`, or set hf_repo to a local folder" % (hf_repo, _hub_cache(), hf_repo),
    )


def _first_int(value):
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# Rope types whose factor TensorRT-LLM does not apply to the inferred length.
_UNSCALED_ROPE_TYPES = ("su", "longrope", "llama3", "yarn")
DEFAULT_MAX_SEQ_LEN = 2048
NO_END_ID = -1  # matches no token; the driver sets ignore_eos, so Pie decides where a sequence ends


def infer_max_seq_len(config):
    """TensorRT-LLM 1.2's `PyTorchModelEngine._infer_max_seq_len_from_config`: the model's
    `max_position_embeddings` (top level, else `text_config`), else 2048, times the rope factor
    unless the rope type is su, longrope, llama3 or yarn (rounded up)."""
    rope = config.get("rope_scaling")
    factor = 1
    if isinstance(rope, dict):
        rope_type = rope.get("type", rope.get("rope_type"))
        if rope_type not in _UNSCALED_ROPE_TYPES:
            factor = rope.get("factor", 1.0)
    length = config.get("max_position_embeddings")
    text = config.get("text_config")
    if length is None and isinstance(text, dict):
        length = text.get("max_position_embeddings")
    if length is None:
        length = DEFAULT_MAX_SEQ_LEN
    if factor != 1:
        length = int(math.ceil(length * factor))
    return int(length)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def config_problem(config):
    """What in a model's config.json this driver cannot run with, or None. TensorRT-LLM would
    fail to load such a model (or load one that answers nothing); said here, before loading."""
    for holder, prefix in ((config, ""), (config.get("text_config"), "text_config.")):
        if not isinstance(holder, dict):
            continue
        for key in ("vocab_size", "padded_vocab_size", "max_position_embeddings"):
            value = holder.get(key)
            if value is not None and not (_is_int(value) and value >= 1):
                return "%s%s must be a positive integer, found %r" % (prefix, key, value)
    if config.get("text_config") is not None and not isinstance(config.get("text_config"), dict):
        return "text_config must be an object, found %r" % (config.get("text_config"),)
    architectures = config.get("architectures")
    if architectures is not None and not (isinstance(architectures, list) and all(isinstance(a, str) for a in architectures)):
        return "architectures must be a list of names, found %r" % (architectures,)
    if config.get("model_type") is not None and not isinstance(config.get("model_type"), str):
        return "model_type must be a name, found %r" % (config.get("model_type"),)
    rope = config.get("rope_scaling")
    if rope is not None and not isinstance(rope, dict):
        return "rope_scaling must be an object, found %r" % (rope,)
    factor = rope.get("factor", 1.0) if isinstance(rope, dict) else 1.0
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not (0 < factor < float("inf")):
        return "rope_scaling.factor must be a positive number, found %r" % (factor,)
    return None


def read_model_info(snapshot_dir, max_seq_len=None):
    path = os.path.join(snapshot_dir, "config.json")
    try:
        config = read_json_file(path)
    except (OSError, ValueError, RecursionError) as error:
        raise StartupError(MODEL_NOT_FOUND, "cannot read %s: %s" % (path, error))
    if not isinstance(config, dict):
        raise StartupError(MODEL_NOT_FOUND, "%s is not a JSON object" % path)
    problem = config_problem(config)
    if problem:
        raise StartupError(ENGINE_LOAD_FAILED, "%s: %s; this model cannot be served as it is" % (path, problem))
    text = config.get("text_config") if isinstance(config.get("text_config"), dict) else {}
    pick = lambda *keys: next((c[k] for k in keys for c in (config, text) if c.get(k) is not None), None)  # noqa: E731
    architectures = config.get("architectures") or []
    arch = architectures[0] if architectures else config.get("model_type") or "unknown"
    vocab = pick("vocab_size", "padded_vocab_size") or 128000
    # TensorRT-LLM takes the smaller of the model's length and max_seq_len.
    max_len = infer_max_seq_len(config)
    if max_seq_len:
        max_len = min(max_len, max_seq_len)
    end_id = _first_int(pick("eos_token_id"))
    generation = os.path.join(snapshot_dir, "generation_config.json")
    if end_id is None and os.path.isfile(generation):
        try:
            end_id = _first_int(read_json_file(generation).get("eos_token_id"))
        except (OSError, ValueError, AttributeError, RecursionError):
            end_id = None
    if end_id is None:
        end_id = NO_END_ID
    pad_id = _first_int(pick("pad_token_id"))
    return ModelInfo(arch, int(vocab), int(max_len), end_id, end_id if pad_id is None else pad_id)
