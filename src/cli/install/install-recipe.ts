import { join } from 'node:path';
import { packageRoot } from '../../config/schema-files.js';
import { findOnPath } from '../../runtime/executable-lookup.js';

/** One command of the recipe, run without a shell. */
export interface InstallStep {
  title: string;
  command: string;
  args: string[];
}

export const MPI_NOTE = 'Requires a system MPI runtime, for example: apt-get install -y libopenmpi-dev openmpi-bin';

/**
 * A Python 3.12 virtual environment at `venv` with this package's runtime and its pins
 * (python/pyproject.toml: TensorRT-LLM 1.2.1, Torch, CUDA 13 cuBLAS) in one install step.
 * Uses uv when it is on PATH, else python3.12's venv and pip.
 */
export function installRecipe(venv: string, env: NodeJS.ProcessEnv = process.env): { tool: 'uv' | 'pip'; steps: InstallStep[] } {
  const runtime = join(packageRoot, 'python');
  const python = join(venv, 'bin', 'python');
  if (findOnPath('uv', env) !== undefined) {
    return {
      tool: 'uv',
      steps: [
        { title: 'create the Python 3.12 environment', command: 'uv', args: ['venv', venv, '--python', '3.12'] },
        { title: 'install TensorRT-LLM 1.2.1 and the runtime', command: 'uv', args: ['pip', 'install', '--python', python, runtime] },
      ],
    };
  }
  return {
    tool: 'pip',
    steps: [
      { title: 'create the Python 3.12 environment', command: 'python3.12', args: ['-m', 'venv', venv] },
      { title: 'install TensorRT-LLM 1.2.1 and the runtime', command: python, args: ['-m', 'pip', 'install', runtime] },
    ],
  };
}

/** A word quoted for a POSIX shell: single quotes, in which nothing ($, `, \\) expands. */
export function shellQuote(word: string): string {
  return /^[\w./:=@+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellLine(step: InstallStep): string {
  return [step.command, ...step.args].map(shellQuote).join(' ');
}
