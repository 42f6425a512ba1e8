import { dirname, isAbsolute, join, resolve } from 'node:path';
import { readDriversFile } from './drivers-file.js';
import { findOnPath, isExecutable } from './executable-lookup.js';
import { driversFilePath } from './pie-home.js';
import { RuntimeError } from './runtime-errors.js';

/** The interpreter that will run the Python runtime, and where that choice came from. */
export interface ResolvedInterpreter {
  python: string;
  source: string;
}

export interface InterpreterRequest {
  venv?: string;
  python?: string;
  /** Simulated runs need no TensorRT-LLM, so any python3 on PATH will do when nothing else resolves. */
  simulate?: boolean;
  /** The folder a relative `venv` or `python` is taken from: the pie.toml's (the CLI), else the
   *  host's working directory. */
  base?: string;
}

/** `path` made absolute against `base`, once: the interpreter checked is the one that runs (the
 *  runtime starts in the package's own folder, where a relative path would name another file). */
function absolute(path: string, base: string): string {
  return isAbsolute(path) ? path : resolve(base, path);
}

/** How a relative setting was read, for the source line: `./venv, relative to /srv`. */
function shownPath(path: string, base: string): string {
  return isAbsolute(path) ? path : `${path}, relative to ${base}`;
}

/** A source line for an interpreter path: the setting's name, and how a relative path was read. */
function pathSource(setting: string, path: string, base: string): string {
  return isAbsolute(path) ? setting : `${setting} (${shownPath(path, base)})`;
}

/** The interpreter, its source followed by what was passed over on the way to it. */
function said(resolved: ResolvedInterpreter, passedOver: string): ResolvedInterpreter {
  return passedOver ? { ...resolved, source: `${resolved.source}${passedOver}` } : resolved;
}

/**
 * Resolves the interpreter in Pie's order: `options.venv`/`options.python`, `$PIE_PYTHON`,
 * `$VIRTUAL_ENV`, `$PIE_HOME/drivers.toml` (`[driver.tensorrt_llm]`, then `[python]`), then
 * `python3` on `PATH`. A configured path that does not exist is an error that says so.
 */
export class InterpreterResolver {
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  resolve(request: InterpreterRequest): ResolvedInterpreter {
    try {
      return this.resolveStrict(request);
    } catch (error) {
      const fallback = request.simulate ? findOnPath('python3', this.env) : undefined;
      if (fallback) return { python: fallback, source: `$PATH (which python3; simulated run, because: ${(error as Error).message.split('\n')[0]})` };
      throw error;
    }
  }

  private resolveStrict(request: InterpreterRequest): ResolvedInterpreter {
    const checked = (python: string, source: string, fix: string): ResolvedInterpreter => {
      if (!isExecutable(python)) {
        throw new RuntimeError('INTERPRETER_NOT_FOUND', `${source}: ${python} is not an executable interpreter; ${fix}`);
      }
      return { python, source };
    };
    if (request.venv && request.python) {
      throw new RuntimeError('INTERPRETER_NOT_FOUND', 'options: both `venv` and `python` are set; pick one');
    }
    const base = request.base ?? process.cwd();
    if (request.venv) {
      const venv = absolute(request.venv, base);
      return checked(join(venv, 'bin', 'python'), `[model.driver.options].venv (${shownPath(request.venv, base)})`, `create it with \`pie-trtllm install ${venv}\` or fix the path`);
    }
    if (request.python) return checked(absolute(request.python, base), pathSource('[model.driver.options].python', request.python, base), 'fix the path');
    const cwd = process.cwd();
    const pie = this.env.PIE_PYTHON;
    if (pie) return checked(absolute(pie, cwd), pathSource('$PIE_PYTHON', pie, cwd), 'fix or unset $PIE_PYTHON');
    const virtualEnv = this.env.VIRTUAL_ENV ? absolute(this.env.VIRTUAL_ENV, cwd) : undefined;
    // An active environment without an interpreter (deleted, or moved) is passed over, as Pie does,
    // but said: whatever resolves instead names it.
    let passedOver = '';
    if (virtualEnv) {
      if (isExecutable(join(virtualEnv, 'bin', 'python'))) return { python: join(virtualEnv, 'bin', 'python'), source: `$VIRTUAL_ENV (${virtualEnv})` };
      passedOver = `; $VIRTUAL_ENV (${virtualEnv}) was passed over: it has no bin/python (deactivate it, or recreate it)`;
    }
    const file = driversFilePath(this.env);
    const settings = readDriversFile(file);
    // A hand-written relative path in drivers.toml is taken from drivers.toml's folder.
    const home = dirname(file);
    for (const [table, entry] of [['[driver.tensorrt_llm]', settings.driver], ['[python]', settings.python]] as const) {
      if (entry.venv) {
        const venv = absolute(entry.venv, home);
        return said(checked(join(venv, 'bin', 'python'), `${file} ${table}.venv (${shownPath(entry.venv, home)})`, `run \`pie-trtllm install ${venv}\` or \`pie-trtllm set venv PATH\``), passedOver);
      }
      if (entry.python) return said(checked(absolute(entry.python, home), pathSource(`${file} ${table}.python`, entry.python, home), 'run `pie-trtllm set python PATH` with an existing interpreter'), passedOver);
    }
    const python3 = findOnPath('python3', this.env);
    if (python3) return { python: python3, source: `$PATH (which python3)${passedOver}` };
    throw new RuntimeError(
      'INTERPRETER_NOT_FOUND',
      'no Python interpreter found for driver `tensorrt_llm`; looked at [model.driver.options].venv/.python, $PIE_PYTHON, ' +
        `$VIRTUAL_ENV, ${file} ([driver.tensorrt_llm] then [python]) and python3 on $PATH${passedOver}. ` +
        'Fix: `pie-trtllm install` then `pie-trtllm set venv PATH`, or set options.venv in pie.toml',
    );
  }
}
