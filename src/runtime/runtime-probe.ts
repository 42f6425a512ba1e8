import { execFile } from 'node:child_process';
import { RUNTIME_DIR, runtimePythonPath } from './runtime-directory.js';

/** What `python -m pie_trtllm_runtime --probe` reports about an interpreter. */
export interface ProbeReport {
  python: { version: string; executable: string; prefix: string };
  runtime: { ok: boolean; version?: string };
  mpi_library: string | null;
  mpi4py: { ok: boolean; version?: string; error?: string };
  torch: { ok: boolean; version?: string; error?: string };
  cuda: { available: boolean; device_count: number; devices: string[]; error?: string };
  tensorrt_llm: { ok: boolean; version?: string; error?: string };
  /** Present when the probe was asked to import Ray. */
  ray?: { ok: boolean; version?: string; error?: string };
}

/** What a failed probe said, in one line: a pyenv shim's own error line when there is one (its
 *  message ends in advice whose last lines alone read as a fragment), else the last two lines. */
function lastWords(output: string): string {
  const lines = output.split('\n').map((line) => line.trim()).filter(Boolean);
  const shim = lines.find((line) => line.startsWith('pyenv: '));
  if (shim) return `${shim}${lines.some((line) => line.startsWith('The `')) ? ' (installed in another pyenv version; `pyenv versions` lists them)' : ''}`;
  return lines.slice(-2).join(' | ') || 'no output';
}

export class ProbeError extends Error {
  readonly code = 'PROBE_FAILED';
}

/** Runs the runtime's probe with `python`; the runtime comes from this package's python/ folder.
 *  `ray`: also import Ray (for a model with llm_kwargs.orchestrator_type = "ray"). */
export function probeInterpreter(python: string, timeoutMs = 180_000, env: NodeJS.ProcessEnv = process.env, ray = false): Promise<ProbeReport> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      ['-m', 'pie_trtllm_runtime', '--probe', ...(ray ? ['--probe-ray'] : [])],
      { cwd: RUNTIME_DIR, env: { ...env, PYTHONPATH: runtimePythonPath(env.PYTHONPATH) }, timeout: timeoutMs, maxBuffer: 4 << 20 },
      (error, stdout, stderr) => {
        const last = stdout.trim().split('\n').at(-1)!;
        try {
          if (!error) return resolve(JSON.parse(last) as ProbeReport);
        } catch {
          /* reported below */
        }
        const why = error ? (error.killed ? `timed out after ${timeoutMs / 1000} s` : `exited with ${error.code ?? error.signal}`) : 'printed no JSON';
        reject(new ProbeError(`${python} -m pie_trtllm_runtime --probe ${why}: ${lastWords(stderr || stdout)}`));
      },
    );
  });
}
