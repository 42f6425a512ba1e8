"""Imports TensorRT-LLM (or, when asked, the simulated one) and constructs the `LLM`.

Everything above the `LLM` object is the same for both: the simulated module has the real
module's shape (`LLM`, `SamplingParams`, `llmapi.KvCacheConfig`, `__version__`)."""

import logging
import os

from .codes import CONFIG_INVALID, ENGINE_IMPORT_FAILED, ENGINE_LOAD_FAILED, UNSUPPORTED_EXECUTION_MODE, StartupError
from .engine import Engine, ModelInfo
from .model_info import read_model_info, resolve_snapshot
from .shown import shown

log = logging.getLogger("pie_trtllm_runtime.loader")

DTYPES = {"bf16": "bfloat16", "bfloat16": "bfloat16", "fp16": "float16", "float16": "float16",
          "fp32": "float32", "float32": "float32", "auto": "auto"}
CURATED_KWARGS = ("backend", "attn_backend", "enable_chunked_prefill", "max_seq_len", "max_batch_size", "max_num_tokens")
EXPLICIT_PARAMETERS = ("skip_tokenizer_init", "trust_remote_code", "tensor_parallel_size", "dtype")


def import_trtllm(simulate):
    """The `tensorrt_llm` module, or the simulated one when `simulate` is set."""
    if simulate:
        from . import simulated_trtllm
        return simulated_trtllm
    try:
        import tensorrt_llm  # noqa: F401  (imports torch, MPI and the CUDA libraries)
        import tensorrt_llm.llmapi  # noqa: F401
    except BaseException as error:  # MPI and CUDA failures surface as all sorts of exceptions
        raise StartupError(
            ENGINE_IMPORT_FAILED,
            "cannot import tensorrt_llm: %s: %s; run `pie-trtllm doctor` to see what is missing "
            "(a TensorRT-LLM virtual environment and an MPI runtime such as libopenmpi-dev)" % (type(error).__name__, error),
        )
    return tensorrt_llm


def llm_arguments(trt, options, activation_dtype, tensor_parallel_size=1):
    """Keyword arguments for `LLM(...)`: curated options first, `llm_kwargs` on top (it wins)."""
    extra = dict(options.get("llm_kwargs") or {})
    explicit = {
        "skip_tokenizer_init": bool(options.get("skip_tokenizer_init", True)),
        "trust_remote_code": bool(options.get("trust_remote_code", True)),
        "tensor_parallel_size": tensor_parallel_size,
        "dtype": DTYPES[activation_dtype],
    }
    extra.setdefault("pipeline_parallel_size", int(options.get("pipeline_parallel_size", 1)))
    for key in EXPLICIT_PARAMETERS:
        if key in extra:
            explicit[key] = extra.pop(key)
    for key in CURATED_KWARGS:
        if options.get(key) is not None:
            extra.setdefault(key, options[key])
    if isinstance(extra.get("kv_cache_config"), dict):
        extra["kv_cache_config"] = trt.llmapi.KvCacheConfig(**extra["kv_cache_config"])
    fraction = options.get("kv_cache_free_gpu_memory_fraction")
    if fraction is not None and "kv_cache_config" not in extra:
        extra["kv_cache_config"] = trt.llmapi.KvCacheConfig(free_gpu_memory_fraction=fraction)
    explicit.update(extra)
    return explicit


def check_execution_mode(options):
    """`generate`, or Pie's `pyexecutor`, whose purpose (each context's KV cache resident across
    its decode steps) streams serve through the public API: no private TensorRT-LLM API is called,
    so any 1.2.x serves it. Anything else is refused."""
    mode = options.get("execution_mode", "generate")
    if mode == "pyexecutor":
        log.info("execution_mode = \"pyexecutor\": served by streaming requests through TensorRT-LLM's public LLM API, each context's KV cache "
                 "resident across its decode steps; pyexecutor_max_tokens = %s caps one stream request", options.get("pyexecutor_max_tokens", 4096))
    elif mode != "generate":
        raise StartupError(UNSUPPORTED_EXECUTION_MODE, "execution_mode = %s is not one of \"generate\", \"pyexecutor\"" % shown(mode))


def visible_devices(device):
    """CUDA_VISIBLE_DEVICES for a replica's group ("cuda:0,cuda:1" → "0,1"), or None when the
    group names something else."""
    entries = [entry.strip() for entry in device.split(",") if entry.strip()]
    if not entries or not all(entry.startswith("cuda:") for entry in entries):
        return None
    return ",".join(entry.split(":", 1)[1] for entry in entries)


def rank_count(arguments):
    """The ranks `LLM(...)` runs for these arguments: tensor × pipeline × context parallel."""
    return (int(arguments.get("tensor_parallel_size", 1)) * int(arguments.get("pipeline_parallel_size", 1))
            * int(arguments.get("context_parallel_size", 1)))


def check_group_size(arguments, device):
    """A replica pinned to its group needs exactly one GPU per rank. TensorRT-LLM itself lets more
    ranks than visible GPUs through (it takes them for several nodes) and fails later, so the
    runtime refuses that here, before `LLM(...)`, naming the numbers."""
    ranks = rank_count(arguments)
    devices = len(device.split(","))
    if ranks != devices:
        raise StartupError(
            CONFIG_INVALID,
            "LLM(...) would run %d ranks (tensor × pipeline × context parallel, after llm_kwargs), but this replica's group %s has %d GPU%s; "
            "set tensor_parallel_size and options.pipeline_parallel_size in [model.driver] (not in llm_kwargs) so each group has one GPU per rank"
            % (ranks, device, devices, "" if devices == 1 else "s"),
        )


def load_engine(config):
    """The Engine for a launch config, or a StartupError naming what went wrong."""
    driver = config["driver"]
    options = driver.get("options", {})
    simulate = bool(config.get("simulate"))
    device = config.get("device", "")
    ray = (options.get("llm_kwargs") or {}).get("orchestrator_type") == "ray"
    pinned = None if ray else visible_devices(device)
    if pinned is not None:
        # One replica per group: the process (and its workers) see only the group's GPUs,
        # renumbered from 0. With Ray, the cluster places the ranks; nothing is pinned.
        os.environ["CUDA_VISIBLE_DEVICES"] = pinned
    check_execution_mode(options)
    trt = import_trtllm(simulate)
    if simulate:
        facts = trt.SIMULATED_MODEL
        max_len = facts["max_model_len"] if not options.get("max_seq_len") else min(facts["max_model_len"], options["max_seq_len"])
        model = ModelInfo(facts["arch_name"], facts["vocab_size"], max_len, facts["end_id"], facts["pad_id"])
        model_path = config["model"].get("hf_repo") or "simulated"
    else:
        model_path = resolve_snapshot(config["model"]["hf_repo"])
        model = read_model_info(model_path, options.get("max_seq_len"))
    arguments = llm_arguments(trt, options, driver.get("activation_dtype", "bfloat16"), int(driver.get("tensor_parallel_size", 1)))
    if pinned is not None:
        check_group_size(arguments, device)
    log.info("loading %s with %s %s", model_path, "simulated TensorRT-LLM" if simulate else "TensorRT-LLM", getattr(trt, "__version__", "?"))
    try:
        llm = trt.LLM(model_path, **arguments)
    except ImportError as error:  # a module the arguments need (ray for orchestrator_type = "ray"): the environment's fault
        raise StartupError(ENGINE_IMPORT_FAILED, "LLM(...) needs a module this interpreter cannot import: %s: %s; install it in that environment"
                           % (type(error).__name__, error))
    except Exception as error:
        raise StartupError(ENGINE_LOAD_FAILED, "LLM(...) failed: %s: %s" % (type(error).__name__, error))
    statistics = (lambda: trt.simulation_statistics(llm)) if simulate else None
    return Engine(llm, trt.SamplingParams, model, options, int(driver.get("random_seed", 42)),
                  "simulated" if simulate else "tensorrt_llm", str(getattr(trt, "__version__", "unknown")), statistics, rank_count(arguments))
