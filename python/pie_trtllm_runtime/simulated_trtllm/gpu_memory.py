"""GPU memory as the executor workers hold it, for the simulated engine.

A TensorRT-LLM worker takes most of its GPU's memory (the weights, then by default 90 % of what is
left for the KV cache) and holds it until the process ends; a model loading onto that GPU
meanwhile fails with CUDA out of memory (`reference/mpi-process-tree.md`: a dead replica's worker
held its GPU for 1-3 s after the runtime died). Here a worker holds its GPU with an exclusive
`flock` on a file named for the GPU; the kernel lets go when the process ends, however it ends.

Opt-in: only when PIE_TRTLLM_SIMULATE_GPU_DIR names a folder for these files, so runs that share a
simulated GPU on purpose (tests, benchmarks) are not refused."""

import fcntl
import os

GPU_DIR_VARIABLE = "PIE_TRTLLM_SIMULATE_GPU_DIR"


class OutOfMemory(Exception):
    """What torch raises when an allocation does not fit (`torch.OutOfMemoryError`)."""


def physical_gpus(world_size):
    """The physical GPU of each rank: the runtime pins CUDA_VISIBLE_DEVICES to its group."""
    visible = [entry.strip() for entry in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if entry.strip()]
    return [visible[rank] if rank < len(visible) else str(rank) for rank in range(world_size)]


def hold(gpu, index):
    """Takes physical GPU `gpu` (CUDA device `index` of this process) for the life of this process;
    OutOfMemory, naming the device as torch does (by its index here), when a live process holds it. Returns the open lock file (kept open for as long as the memory is held), or None when GPU
    memory is not simulated."""
    folder = os.environ.get(GPU_DIR_VARIABLE)
    if not folder:
        return None
    os.makedirs(folder, exist_ok=True)
    handle = open(os.path.join(folder, "gpu-%s.lock" % gpu), "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise OutOfMemory("CUDA out of memory. Tried to allocate 2.00 GiB. GPU %s has a total capacity of 139.81 GiB "
                          "of which 0 bytes is free. Process %s has 125.83 GiB memory in use." % (index, holder))
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle
