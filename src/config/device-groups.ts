import type { ConfigProblem } from './config-problem.js';

/**
 * Pie's topology rule: `device` is cut into contiguous groups of tensor_parallel_size ×
 * pipeline_parallel_size devices, in the order written; each group is one replica (one runtime,
 * whose TensorRT-LLM workers span the group). 4 devices with tensor_parallel_size 2 give
 * [[cuda:0, cuda:1], [cuda:2, cuda:3]]. Call only with a size that divides the device count
 * (`deviceGroupProblem` says when it does not).
 */
export function deviceGroups(devices: readonly string[], tensorParallelSize: number, pipelineParallelSize: number): string[][] {
  const size = tensorParallelSize * pipelineParallelSize;
  const groups: string[][] = [];
  for (let start = 0; start < devices.length; start += size) groups.push(devices.slice(start, start + size));
  return groups;
}

/** The problem with a topology whose group size does not divide the device count, at `at`. */
export function deviceGroupProblem(deviceCount: number, tensorParallelSize: number, pipelineParallelSize: number, at: string): ConfigProblem | undefined {
  const size = tensorParallelSize * pipelineParallelSize;
  if (deviceCount % size === 0) return undefined;
  return {
    path: `${at}.tensor_parallel_size`,
    message: `tensor_parallel_size ${tensorParallelSize} × pipeline_parallel_size ${pipelineParallelSize} = ${size} devices per replica does not divide the ${deviceCount} device${deviceCount === 1 ? '' : 's'} in \`device\`; list a multiple of ${size} devices, or lower the sizes`,
  };
}

/** The groups as operators read them: "cuda:0,cuda:1 | cuda:2,cuda:3". */
export function groupList(groups: readonly (readonly string[])[]): string {
  return groups.map((group) => group.join(',')).join(' | ');
}

/** How many replicas of how many ranks: "2 replicas of 2 ranks". */
export function replicaCount(groups: readonly (readonly string[])[]): string {
  return `${groups.length} replica${groups.length === 1 ? '' : 's'} of ${groups[0]?.length ?? 0} ranks`;
}
