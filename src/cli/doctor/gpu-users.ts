import { execFileSync } from 'node:child_process';
import type { Check } from './doctor-checks.js';

/** A process using a GPU, as `nvidia-smi --query-compute-apps` lists it. */
export interface GpuUser {
  gpu: number;
  pid: number;
  name: string;
  usedMiB: number;
}

function nvidiaSmi(args: string[]): string | undefined {
  try {
    return execFileSync('nvidia-smi', args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined; // no nvidia-smi here (or no driver): nothing to say about GPU users
  }
}

const rows = (text: string) => text.split('\n').map((line) => line.split(',').map((field) => field.trim())).filter((fields) => fields.length > 1);

/** Every process using a GPU, by the GPU's index; undefined when nvidia-smi cannot tell. */
export function gpuUsers(): GpuUser[] | undefined {
  const gpus = nvidiaSmi(['--query-gpu=index,pci.bus_id', '--format=csv,noheader']);
  const apps = nvidiaSmi(['--query-compute-apps=gpu_bus_id,pid,process_name,used_memory', '--format=csv,noheader,nounits']);
  if (gpus === undefined || apps === undefined) return undefined;
  const indexOf = new Map(rows(gpus).map(([index, bus]) => [bus!.toLowerCase(), Number(index)]));
  return rows(apps).flatMap(([bus, pid, name, used]) => {
    const gpu = indexOf.get(bus!.toLowerCase());
    return gpu === undefined ? [] : [{ gpu, pid: Number(pid), name: name ?? '', usedMiB: Number(used) }];
  });
}

/** A check per configured device some process already uses: doctor runs no replica, so such a
 *  process is another program or what is left of a replica (an MPI worker outlives its runtime
 *  by seconds), and a model loading there may run out of memory. */
export function gpuUserChecks(devices: readonly string[], users: readonly GpuUser[]): Check[] {
  const checks: Check[] = [];
  for (const device of devices) {
    const index = /^cuda:(\d+)$/.exec(device)?.[1];
    if (index === undefined) continue;
    const here = users.filter((user) => user.gpu === Number(index));
    if (here.length === 0) continue;
    checks.push({
      name: `gpu users ${device}`,
      status: 'warn',
      value: here.map((user) => `pid ${user.pid} (${user.name}, ${user.usedMiB} MiB)`).join(', '),
      hint: `a process that belongs to no running replica holds memory on ${device}; a model loading there may run out of memory. Wait for it to end, or end it: kill ${here.map((user) => user.pid).join(' ')}`,
    });
  }
  return checks;
}
