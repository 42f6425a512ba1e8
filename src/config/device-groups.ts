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

/** The problem with a device list whose entries are not single, distinct devices: each entry is
 *  one rank's GPU, so a repeated device would put two ranks or replicas on one GPU, and an entry
 *  holding a comma would be taken for one device and then fail on the rank count. */
export function deviceListProblem(devices: readonly string[], at: string): ConfigProblem | undefined {
  const seen = new Map<string, number>();
  for (const [index, device] of devices.entries()) {
    const path = devices.length === 1 ? `${at}.device` : `${at}.device[${index}]`;
    if (/[,\s]/.test(device)) {
      const parts = device.split(/[,\s]+/).filter(Boolean);
      return { path, message: `${JSON.stringify(device)} names ${parts.length > 1 ? 'several devices' : 'a device with spaces'} in one entry; list each device as its own string, e.g. device = ${JSON.stringify(parts.length > 0 ? parts : ['cuda:0'])}` };
    }
    const first = seen.get(device);
    if (first !== undefined) return { path, message: `${JSON.stringify(device)} is listed twice (entries ${first} and ${index}); each device serves one rank of one replica, so list it once` };
    seen.set(device, index);
  }
  return undefined;
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
