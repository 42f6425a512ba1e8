import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { isExecutable } from '../../runtime/executable-lookup.js';

/** The Pythons TensorRT-LLM 1.2.1 ships wheels for, preferred first. */
export const SUPPORTED_PYTHONS = ['3.12', '3.10'] as const;

/** An interpreter that ran and said its version. */
export interface FoundPython {
  command: string;
  version: string;
}

/** The version an interpreter reports (3.10.13), or undefined when it does not run (a pyenv shim of a version not selected, say). */
export function pythonVersion(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const run = spawnSync(command, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], { encoding: 'utf8', env, timeout: 10_000 });
  const version = run.status === 0 ? run.stdout.trim() : '';
  return /^\d+\.\d+\.\d+$/.test(version) ? version : undefined;
}

const majorMinor = (version: string) => version.split('.').slice(0, 2).join('.');

/** Where a version may be: python3.X on PATH, then pyenv's installed versions (newest patch first). */
function candidates(version: string, env: NodeJS.ProcessEnv): string[] {
  // Every python3.X on PATH, not only the first: a pyenv shim of a version not selected comes first and does not run.
  const out = (env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, `python${version}`))
    .filter(isExecutable);
  const versions = join(env.PYENV_ROOT || join(homedir(), '.pyenv'), 'versions');
  if (existsSync(versions)) {
    const installed = readdirSync(versions).filter((name) => new RegExp(`^${version.replace('.', '\\.')}\\.\\d+$`).test(name));
    installed.sort((a, b) => Number(b.split('.')[2]) - Number(a.split('.')[2]));
    for (const name of installed) {
      const python = join(versions, name, 'bin', `python${version}`);
      if (existsSync(python)) out.push(python);
    }
  }
  return out;
}

/**
 * The interpreter to build the environment with: `requested` as a version (3.12, 3.10) or as a
 * command or path; without it, the first supported version found. Undefined when none runs.
 */
export function findPython(requested: string | undefined, env: NodeJS.ProcessEnv = process.env): FoundPython | undefined {
  const versions = requested === undefined ? SUPPORTED_PYTHONS : /^\d+\.\d+$/.test(requested) ? [requested] : undefined;
  if (versions === undefined) {
    const version = pythonVersion(requested!, env);
    return version === undefined ? undefined : { command: requested!, version: majorMinor(version) };
  }
  for (const version of versions) {
    for (const command of candidates(version, env)) {
      const found = pythonVersion(command, env);
      if (found !== undefined && majorMinor(found) === version) return { command, version };
    }
  }
  return undefined;
}
