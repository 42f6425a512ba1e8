import { join } from 'node:path';
import { packageRoot } from '../config/schema-files.js';

/**
 * The Python runtime's own folder (`python/` of this package). Runtimes and probes run with it as
 * their working directory and first on PYTHONPATH, so `python -m` puts this folder, never the
 * host's working directory, first on the import path; TensorRT-LLM's MPI workers inherit both.
 */
export const RUNTIME_DIR = join(packageRoot, 'python');

/** PYTHONPATH with the runtime's folder first, keeping what the operator set. */
export function runtimePythonPath(existing: string | undefined): string {
  return [RUNTIME_DIR, existing].filter(Boolean).join(':');
}
