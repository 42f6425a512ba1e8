import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError, startFailureCode } from '../cli-error.js';
import { ConfigFileError, type ResolvedModel, validatePieFile } from '../../config/pie-file-validator.js';
import { TomlSyntaxError } from '../../config/toml-document.js';
import { InterpreterResolver } from '../../runtime/interpreter-resolver.js';
import { probeInterpreter } from '../../runtime/runtime-probe.js';
import { type Check, interpreterCheck, interpreterFailure, probeChecks, unsupportedPythonCheck, usesRay } from '../doctor/doctor-checks.js';
import { pythonVersion } from '../install/python-finder.js';
import { type Output, printJson } from '../output.js';
import { Progress } from '../progress.js';
import { gpuUserChecks, gpuUsers } from '../doctor/gpu-users.js';
import { createModelDriver } from '../local-host.js';
import { disposeOnSignal } from '../signal-cleanup.js';

const GLYPH = { ok: '✓', warn: '!', fail: '✗' } as const;

function configCheck(file: string): { check: Check; models: ResolvedModel[] } {
  try {
    const result = validatePieFile(file);
    if (result.ok) return { check: { name: 'config', status: 'ok', value: `${file} (${result.models.length} tensorrt_llm model${result.models.length === 1 ? '' : 's'})` }, models: result.models };
    const n = result.problems.length;
    return { check: { name: 'config', status: 'fail', value: `${file}: ${n} problem${n === 1 ? '' : 's'}`, hint: result.problems.map((p) => `${p.path}: ${p.message}`).join('; ') }, models: [] };
  } catch (error) {
    if (!(error instanceof ConfigFileError || error instanceof TomlSyntaxError)) throw error;
    return { check: { name: 'config', status: 'fail', value: error.message }, models: [] };
  }
}

/** Starts the model's driver on the simulated engine and stops it: what a simulated run would meet. */
async function simulatedStartCheck(model: ResolvedModel, output: Output, quiet: boolean): Promise<Check> {
  const progress = new Progress(output, quiet || !output.interactive);
  progress.start(`starting ${model.name} on the simulated engine`);
  // The table already validated by the config check: its resolved form is a valid table too.
  const driver = createModelDriver({ name: model.name, hf_repo: model.hf_repo, table: model.driver }, { simulate: true });
  const release = disposeOnSignal(driver);
  try {
    const report = await driver.start();
    progress.finish(true);
    return { name: 'simulated start', status: 'ok', value: `${model.name} started on ${report.replicas.map((r) => r.device).join(', ')} and stopped` };
  } catch (error) {
    progress.finish(false);
    return { name: 'simulated start', status: 'fail', value: (error as Error).message.split('\n')[0]!, hint: startFailureHint(startFailureCode(error)) };
  } finally {
    await driver.dispose();
    release();
  }
}

/** What a failed simulated start says about what to fix, by the code it failed with. */
export function startFailureHint(code: string | undefined): string {
  switch (code) {
    case 'CONFIG_INVALID':
    case 'ENGINE_LOAD_FAILED':
    case 'UNSUPPORTED_EXECUTION_MODE':
      return 'this configuration cannot start even on the simulated engine; the message says which setting';
    case 'ENGINE_IMPORT_FAILED':
      return 'the interpreter lacks a module this configuration needs (the message names it): install it in that environment';
    case 'MODEL_NOT_FOUND':
      return 'hf_repo names no local snapshot: download the model first, or point hf_repo at a folder';
    default:
      return 'the runtime did not start with this interpreter (the message and its last output say why): run it by hand with `-m pie_trtllm_runtime --probe`, or make a fresh environment with `pie-trtllm install`';
  }
}

export function registerDoctorCommand(program: Command, output: Output): void {
  program
    .command('doctor')
    .description('check that the driver can start here: interpreter and where it came from, Python, the runtime, tensorrt_llm and its version, MPI, CUDA devices, the config')
    .option('--config <file>', 'also check this pie.toml and the devices it names')
    .option('--model <name>', 'the [[model]] whose interpreter options to use (default: the first served by this driver)')
    .option('--simulate', 'judge for a simulated run: a missing TensorRT-LLM, MPI or GPU is a warning, not a failure')
    .option('--json', 'print the checks as JSON')
    .action(async (options: { config?: string; model?: string; simulate?: boolean; json?: boolean }) => {
      if (options.model !== undefined && !options.config) {
        throw new CliError('--model picks a [[model]] of a pie.toml: give the file with --config FILE', 2);
      }
      const checks: Check[] = [];
      let models: ResolvedModel[] = [];
      if (options.config) {
        const config = configCheck(options.config);
        checks.push(config.check);
        models = config.models;
      }
      const model = options.model ? models.find((m) => m.name === options.model) : models[0];
      if (options.model && !model && models.length > 0) {
        throw new CliError(`no tensorrt_llm model named ${JSON.stringify(options.model)} in ${options.config}; known: ${models.map((m) => JSON.stringify(m.name)).join(', ')}`, 2);
      }
      if (model?.driver.options.execution_mode === 'pyexecutor') {
        checks.push({ name: 'execution mode', status: 'ok', value: `pyexecutor, served by streams through the public LLM API (pyexecutor_max_tokens = ${model.driver.options.pyexecutor_max_tokens} per stream request; no private API, so any TensorRT-LLM 1.2.x)` });
      }
      let python: string | undefined;
      try {
        const interpreter = new InterpreterResolver().resolve({ venv: model?.driver.options.venv, python: model?.driver.options.python, base: options.config ? dirname(resolve(options.config)) : undefined });
        python = interpreter.python;
        checks.push(interpreterCheck(interpreter));
      } catch (error) {
        checks.push(interpreterFailure((error as Error).message));
      }
      // A Python outside 3.10 to 3.12 runs neither TensorRT-LLM nor the runtime: said as such, not probed.
      const version = python ? pythonVersion(python) : undefined;
      const outside = version === undefined ? undefined : unsupportedPythonCheck(version);
      if (outside) {
        checks.push(outside);
        python = undefined;
      }
      if (python) {
        const progress = new Progress(output, Boolean(options.json) || !output.interactive);
        progress.start(`probing ${python} (imports tensorrt_llm)`);
        try {
          const probe = await probeInterpreter(python, undefined, undefined, model !== undefined && usesRay(model));
          progress.finish(true);
          checks.push(...probeChecks(probe, model ? [model] : [], Boolean(options.simulate)));
        } catch (error) {
          progress.finish(false);
          checks.push({ name: 'runtime', status: 'fail', value: (error as Error).message, hint: 'run the interpreter by hand to see why, or create a fresh environment with `pie-trtllm install`' });
        }
      }
      const users = model && !usesRay(model) ? gpuUsers() : undefined;
      if (users && model) checks.push(...gpuUserChecks(model.driver.device, users));
      // A simulated run can be tried in a second: "ready" is said only of a runtime that started.
      if (options.simulate && model && !checks.some((c) => c.status === 'fail')) {
        checks.push(await simulatedStartCheck(model, output, Boolean(options.json)));
      }
      const ok = !checks.some((c) => c.status === 'fail');
      if (options.json) printJson(output, { ok, checks });
      else {
        output.out('[tensorrt_llm]');
        for (const check of checks) {
          output.text(`  ${GLYPH[check.status]} ${check.name.padEnd(16)} ${check.value}`);
          if (check.hint && check.status !== 'ok') output.text(`    hint: ${check.hint}`);
        }
        const warnings = checks.filter((c) => c.status === 'warn').length;
        output.out(ok ? (warnings ? `! Ready with ${warnings} warning${warnings === 1 ? '' : 's'}.` : `✓ All checks passed (${checks.length} checks).`) : '✗ The driver cannot start here; fix the ✗ lines above.');
      }
      process.exitCode = ok ? 0 : 1;
    });
}
