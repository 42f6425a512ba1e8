"""The argument lists of TensorRT-LLM 1.2.1 that the simulated engine enforces, read from
`api_1_2_1.json` (which names the source revision of each list)."""

import json
import os

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "api_1_2_1.json"), encoding="utf-8") as _handle:
    API = json.load(_handle)

LLM_KWARGS = frozenset(API["llm_kwargs"]["base_llm_args"]) | frozenset(API["llm_kwargs"]["torch_llm_args"])
TRT_ONLY_KWARGS = frozenset(API["llm_kwargs"]["trt_llm_args_only"])
PYTORCH_BACKENDS = tuple(API["backends"]["pytorch_llm"])
SAMPLER_TYPES = tuple(API["sampler_types"])
SAMPLING_PARAMS_FIELDS = tuple(API["sampling_params_fields"])
SAMPLING_PARAMS_DEFAULTS = API["sampling_params_defaults"]
KV_CACHE_CONFIG_FIELDS = API["kv_cache_config_fields"]
