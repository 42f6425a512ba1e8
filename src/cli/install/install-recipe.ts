import { join } from 'node:path';
import { packageRoot } from '../../config/schema-files.js';
import { findOnPath } from '../../runtime/executable-lookup.js';
import { type FoundPython, findPython, SUPPORTED_PYTHONS } from './python-finder.js';

/** One command of the recipe, run without a shell. */
export interface InstallStep {
  title: string;
  command: string;
  args: string[];
}

export const MPI_NOTE = 'Requires a system MPI runtime, for example: apt-get install -y libopenmpi-dev openmpi-bin';

/** The CUDA build of torch 2.9.1 that TensorRT-LLM 1.2.1 pins (PyTorch's own index; pip's default index has the CPU build first). */
export const TORCH_CUDA_INDEX = 'https://download.pytorch.org/whl/cu128';

export interface RecipeOptions {
  /** A version (3.12, 3.10) or an interpreter's command or path; default: 3.12, else 3.10. */
  python?: string;
  /** An extra package index for torch (TORCH_CUDA_INDEX for its CUDA build). */
  torchIndex?: string;
}

export interface InstallRecipe {
  tool: 'uv' | 'pip';
  steps: InstallStep[];
  /** The interpreter the environment is made with, when it was found here (uv finds or fetches its own). */
  python?: FoundPython;
  /** Why no recipe can run as asked, and what to do. */
  problem?: string;
}

/** Why a Python cannot carry TensorRT-LLM 1.2.1, or undefined when it can. */
export function unsupportedPython(version: string): string | undefined {
  if ((SUPPORTED_PYTHONS as readonly string[]).includes(version)) return undefined;
  return `TensorRT-LLM 1.2.1 ships wheels for Python ${SUPPORTED_PYTHONS.join(' and ')} only, not ${version}; pass --python 3.12 or --python 3.10 (or the path of such an interpreter)`;
}

/**
 * A Python virtual environment at `venv` with this package's runtime and its pins
 * (python/pyproject.toml: TensorRT-LLM 1.2.1, Torch, CUDA 13 cuBLAS) in one install step.
 * Uses uv when it is on PATH (it finds or fetches the Python asked for), else a supported
 * interpreter found here (python3.12, python3.10 on PATH or under pyenv) with venv and pip.
 */
export function installRecipe(venv: string, options: RecipeOptions = {}, env: NodeJS.ProcessEnv = process.env): InstallRecipe {
  const runtime = join(packageRoot, 'python');
  const python = join(venv, 'bin', 'python');
  const index = options.torchIndex ? ['--extra-index-url', options.torchIndex] : [];
  const named = options.python !== undefined && /^\d+\.\d+$/.test(options.python) ? options.python : undefined;
  if (named !== undefined && unsupportedPython(named)) return { tool: 'pip', steps: [], problem: unsupportedPython(named) };
  if (findOnPath('uv', env) !== undefined) {
    const wanted = options.python ?? SUPPORTED_PYTHONS[0];
    return {
      tool: 'uv',
      steps: [
        { title: `create the Python ${named ?? wanted} environment`, command: 'uv', args: ['venv', venv, '--python', wanted] },
        { title: 'install TensorRT-LLM 1.2.1 and the runtime', command: 'uv', args: ['pip', 'install', '--python', python, ...index, runtime] },
      ],
    };
  }
  const found = findPython(options.python, env);
  const steps = (interpreter: string, version: string): InstallStep[] => [
    { title: `create the Python ${version} environment`, command: interpreter, args: ['-m', 'venv', venv] },
    { title: 'install TensorRT-LLM 1.2.1 and the runtime', command: python, args: ['-m', 'pip', 'install', ...index, runtime] },
  ];
  if (!found) {
    const asked = options.python === undefined ? `Python ${SUPPORTED_PYTHONS.join(' or ')}` : `\`${options.python}\``;
    return {
      tool: 'pip',
      steps: steps(`python${named ?? SUPPORTED_PYTHONS[0]}`, named ?? SUPPORTED_PYTHONS[0]),
      problem: `no ${asked} runs here (looked for python3.12 and python3.10 on PATH and under pyenv); install one (\`pyenv install 3.12\`, or Ubuntu 22.04's python3.10 with python3.10-venv), install uv, or pass --python PATH`,
    };
  }
  const problem = unsupportedPython(found.version);
  return { tool: 'pip', steps: steps(found.command, found.version), python: found, ...(problem ? { problem } : {}) };
}

/** A word quoted for a POSIX shell: single quotes, in which nothing ($, `, \\) expands. */
export function shellQuote(word: string): string {
  return /^[\w./:=@+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellLine(step: InstallStep): string {
  return [step.command, ...step.args].map(shellQuote).join(' ');
}
