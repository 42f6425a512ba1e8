"""The GPUs the simulated engine sees, and 1.2.1's check that a parallel group fits on them.

`LLM(...)` (tensorrt_llm/llmapi/llm.py, stored version of 92,689 characters) raises, for a world
size above 1: `RuntimeError(f"Only {get_device_count()} GPUs are available, but {world_size} are
required.")` when `get_device_count() < parallel_config.world_size_per_node`, unless
RAY_LOCAL_WORLD_SIZE is set (an older stored version of 30,938 characters has the same check
without that exception). `world_size_per_node` is `world_size // ceil(world_size / gpus_per_node)`
(llmapi/llm_args.py, _ParallelConfig), `world_size` is tp × pp × cp, and `gpus_per_node` defaults to
`torch.cuda.device_count()` (BaseLlmArgs.validate_gpus_per_node). So the check fires only when
gpus_per_node claims more GPUs than are visible: with the default, 4 ranks on 2 visible GPUs are
taken for two nodes and pass it (the runtime refuses that case itself, before `LLM(...)`).

With no GPU here, the simulated device count is what CUDA_VISIBLE_DEVICES lists (the runtime pins
it to its replica's group); unset, it is PIE_TRTLLM_SIMULATE_GPUS (default 1)."""

import math
import os


def device_count():
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([entry for entry in visible.split(",") if entry.strip()])
    return int(os.environ.get("PIE_TRTLLM_SIMULATE_GPUS", "1") or 1)


def check_devices(world_size, gpus_per_node):
    """Raises as 1.2.1's `LLM(...)` does when this node's share of the ranks outnumbers its GPUs."""
    if world_size <= 1 or os.environ.get("RAY_LOCAL_WORLD_SIZE") is not None:
        return
    available = device_count()
    per_node = world_size // math.ceil(world_size / (available if gpus_per_node is None else gpus_per_node))
    if available < per_node:
        raise RuntimeError("Only %d GPUs are available, but %d are required." % (available, world_size))
