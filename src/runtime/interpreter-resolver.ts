import { join } from 'node:path';
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
}

/**
 * Resolves the interpreter in Pie's order: `options.venv`/`options.python`, `$PIE_PYTHON`,
 * `$VIRTUAL_ENV`, `$PIE_HOME/drivers.toml` (`[driver.tensorrt_llm]`, then `[python]`), then
 * `python3` on `PATH`. A configured path that does not exist is an error that says so.
 */
/** The interpreter, its source followed by what was passed over on the way to it. */
function said(resolved: ResolvedInterpreter, passedOver: string): ResolvedInterpreter {
  return passedOver ? { ...resolved, source: `${resolved.source}${passedOver}` } : resolved;
}

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
    if (request.venv) return checked(join(request.venv, 'bin', 'python'), `[model.driver.options].venv (${request.venv})`, `create it with \`pie-trtllm install ${request.venv}\` or fix the path`);
    if (request.python) return checked(request.python, '[model.driver.options].python', 'fix the path');
    const pie = this.env.PIE_PYTHON;
    if (pie) return checked(pie, '$PIE_PYTHON', 'fix or unset $PIE_PYTHON');
    const virtualEnv = this.env.VIRTUAL_ENV;
    // An active environment without an interpreter (deleted, or moved) is passed over, as Pie does,
    // but said: whatever resolves instead names it.
    let passedOver = '';
    if (virtualEnv) {
      if (isExecutable(join(virtualEnv, 'bin', 'python'))) return { python: join(virtualEnv, 'bin', 'python'), source: `$VIRTUAL_ENV (${virtualEnv})` };
      passedOver = `; $VIRTUAL_ENV (${virtualEnv}) was passed over: it has no bin/python (deactivate it, or recreate it)`;
    }
    const file = driversFilePath(this.env);
    const settings = readDriversFile(file);
    for (const [table, entry] of [['[driver.tensorrt_llm]', settings.driver], ['[python]', settings.python]] as const) {
      if (entry.venv) return said(checked(join(entry.venv, 'bin', 'python'), `${file} ${table}.venv (${entry.venv})`, `run \`pie-trtllm install ${entry.venv}\` or \`pie-trtllm set venv PATH\``), passedOver);
      if (entry.python) return said(checked(entry.python, `${file} ${table}.python`, 'run `pie-trtllm set python PATH` with an existing interpreter'), passedOver);
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
