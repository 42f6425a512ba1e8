import { deviceGroups, groupList, replicaCount } from '../../config/device-groups.js';
import type { ResolvedModel } from '../../config/pie-file-validator.js';
import type { ResolvedInterpreter } from '../../runtime/interpreter-resolver.js';
import type { ProbeReport } from '../../runtime/runtime-probe.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One line of doctor's report. */
export interface Check {
  name: string;
  status: CheckStatus;
  value: string;
  /** What to do about a warning or failure. */
  hint?: string;
}

export const EXPECTED_TRTLLM = '1.2.1';
const MPI_HINT = "TensorRT-LLM imports mpi4py, which needs a system MPI runtime: apt-get install -y libopenmpi-dev openmpi-bin (or run inside NVIDIA's TensorRT-LLM container)";
const RAY_HINT = "install Ray in the TensorRT-LLM environment (pip install 'ray[default]'), and start or join the cluster (ray start --head, or ray start --address HEAD:6379) before the host";

/** Whether a model's ranks are placed by Ray rather than started here through MPI. */
export function usesRay(model: ResolvedModel): boolean {
  return model.driver.options.llm_kwargs.orchestrator_type === 'ray';
}

export function interpreterCheck(interpreter: ResolvedInterpreter): Check {
  return { name: 'interpreter', status: 'ok', value: `${interpreter.python} (from ${interpreter.source})` };
}

export function interpreterFailure(message: string): Check {
  return { name: 'interpreter', status: 'fail', value: 'not found', hint: `${message}. Set one with: pie-trtllm set venv PATH` };
}

function firstLine(text: string | undefined): string {
  return (text ?? 'unknown error').split('\n')[0]!;
}

const PYTHON_HINT = 'TensorRT-LLM 1.2.1 ships wheels for Python 3.12 and 3.10; make an environment with one: `pie-trtllm install --python 3.12` (or 3.10)';

/** The Python check for a version outside 3.10 to 3.12, where neither TensorRT-LLM nor the runtime runs: undefined for one inside. */
export function unsupportedPythonCheck(version: string): Check | undefined {
  const [major, minor] = version.split('.').map(Number);
  if (major === 3 && minor! >= 10 && minor! <= 12) return undefined;
  return { name: 'python', status: 'fail', value: `${version} (TensorRT-LLM 1.2.1 runs on 3.10 to 3.12)`, hint: PYTHON_HINT };
}

/** Python 3.10 and 3.12 are what TensorRT-LLM 1.2.1 ships for; 3.11 runs the runtime but gets no wheel. */
function pythonCheck(version: string, tensorrtImports: boolean, simulate: boolean): Check {
  const outside = unsupportedPythonCheck(version);
  if (outside) return outside;
  if (!version.startsWith('3.11.') || tensorrtImports) return { name: 'python', status: 'ok', value: version };
  return { name: 'python', status: 'warn', value: `${version} (TensorRT-LLM 1.2.1 ships no wheel for 3.11${simulate ? '; the simulated engine runs' : ''})`, hint: PYTHON_HINT };
}

/** The checks that follow from the runtime's probe of the interpreter. */
export function probeChecks(probe: ProbeReport, models: ResolvedModel[], simulate: boolean): Check[] {
  const checks: Check[] = [];
  const trt = probe.tensorrt_llm;
  checks.push(pythonCheck(probe.python.version, trt.ok, simulate));
  checks.push({ name: 'runtime', status: probe.runtime.ok ? 'ok' : 'fail', value: `pie_trtllm_runtime ${probe.runtime.version ?? ''}`.trim() });
  if (!trt.ok) {
    checks.push({
      name: 'tensorrt_llm',
      status: simulate ? 'warn' : 'fail',
      value: `not importable: ${firstLine(trt.error)}`,
      hint: `install it with \`pie-trtllm install\` (TensorRT-LLM ${EXPECTED_TRTLLM}, Torch, CUDA 13 cuBLAS). ${MPI_HINT}${simulate ? '. --simulate runs without it' : ''}`,
    });
  } else if (trt.version !== EXPECTED_TRTLLM) {
    checks.push({
      name: 'tensorrt_llm',
      status: 'warn',
      value: `${trt.version} (expected ${EXPECTED_TRTLLM})`,
      hint: `this driver is built against ${EXPECTED_TRTLLM}: LLM(...) may refuse options that moved, and samplers may honour other fields`,
    });
  } else {
    checks.push({ name: 'tensorrt_llm', status: 'ok', value: trt.version });
  }
  const mpiOk = probe.mpi4py.ok && probe.mpi_library !== null;
  checks.push({
    name: 'mpi',
    status: mpiOk ? 'ok' : simulate ? 'warn' : 'fail',
    value: mpiOk ? `mpi4py ${probe.mpi4py.version}, ${probe.mpi_library}` : `${probe.mpi4py.ok ? `mpi4py ${probe.mpi4py.version}` : 'mpi4py missing'}, ${probe.mpi_library ?? 'no MPI library found'}`,
    ...(mpiOk ? {} : { hint: MPI_HINT }),
  });
  const cuda = probe.cuda;
  if (cuda.device_count > 0) {
    checks.push({ name: 'cuda', status: 'ok', value: `${cuda.device_count} device${cuda.device_count === 1 ? '' : 's'}: ${cuda.devices.join(', ')}` });
  } else {
    checks.push({
      name: 'cuda',
      status: simulate ? 'warn' : 'fail',
      value: probe.torch.ok ? `no CUDA device visible (torch ${probe.torch.version})` : `torch not importable: ${firstLine(probe.torch.error)}`,
      hint: probe.torch.ok ? 'check the NVIDIA driver (nvidia-smi) and CUDA_VISIBLE_DEVICES' : 'torch comes with TensorRT-LLM: run `pie-trtllm install`',
    });
  }
  checks.push(...parallelChecks(probe, models, simulate, mpiOk));
  // With Ray the cluster places the ranks, so the devices need not be on this machine.
  for (const device of [...new Set(models.filter((m) => !usesRay(m)).flatMap((m) => m.driver.device))]) {
    const index = /^cuda:(\d+)$/.exec(device)?.[1];
    if (index === undefined) continue;
    if (!probe.torch.ok) {
      // Devices are counted through torch: without it, nothing can be said of them.
      checks.push({ name: `device ${device}`, status: 'warn', value: 'not checked: torch does not import, so devices cannot be counted', hint: 'torch comes with TensorRT-LLM: run `pie-trtllm install`' });
      continue;
    }
    const present = Number(index) < cuda.device_count;
    checks.push({
      name: `device ${device}`,
      status: present ? 'ok' : simulate ? 'warn' : 'fail',
      value: present ? (cuda.devices[Number(index)] ?? 'present') : `not present (${cuda.device_count} visible)`,
      ...(present ? {} : { hint: 'name devices that exist in [model.driver].device, or fix CUDA_VISIBLE_DEVICES' }),
    });
  }
  return checks;
}

/** Per model: its replicas and their ranks, and Ray when it places them. */
function parallelChecks(probe: ProbeReport, models: ResolvedModel[], simulate: boolean, mpiOk: boolean): Check[] {
  const checks: Check[] = [];
  for (const model of models) {
    const { device, tensor_parallel_size: tp, options: { pipeline_parallel_size: pp } } = model.driver;
    const ranks = tp * pp;
    const ray = usesRay(model);
    if (ranks > 1) {
      const ok = ray || mpiOk;
      const groups = deviceGroups(device, tp, pp);
      checks.push({
        name: 'parallel',
        status: ok ? 'ok' : simulate ? 'warn' : 'fail',
        value: `${replicaCount(groups)} (tensor ${tp} × pipeline ${pp}): ${groupList(groups)}, ${ray ? 'placed by Ray' : 'started through MPI'}`,
        ...(ok ? {} : { hint: `each replica's LLM(...) spawns its ${ranks} ranks with mpi4py. ${MPI_HINT}` }),
      });
    }
    if (ray) {
      checks.push({
        name: 'ray',
        status: probe.ray?.ok ? 'ok' : simulate ? 'warn' : 'fail',
        value: probe.ray?.ok ? `ray ${probe.ray.version}` : `not importable: ${firstLine(probe.ray?.error ?? 'the probe did not try')}`,
        ...(probe.ray?.ok ? {} : { hint: RAY_HINT }),
      });
    }
  }
  return checks;
}
