import { dirname, isAbsolute, resolve } from 'node:path';
import { formatProblem } from '../config/config-problem.js';
import { ConfigFileError, type PieFileValidation, validatePieFile } from '../config/pie-file-validator.js';
import { TomlSyntaxError } from '../config/toml-document.js';
import type { ResolvedDriverConfig } from '../config/resolved-config.js';
import { CliError } from './cli-error.js';

export interface SelectedModel {
  name: string;
  hf_repo: string;
  /** The `[model.driver]` table as written, but for a relative `options.venv`/`options.python`,
   *  made absolute against the pie.toml's folder. */
  table: Record<string, unknown>;
  /** The same table validated, defaults filled in. */
  driver: ResolvedDriverConfig;
  validation: PieFileValidation;
}

/** Validates a pie.toml and picks the model this driver serves (by `--model`, or the only one). */
export function selectModel(file: string, name: string | undefined): SelectedModel {
  let validation: PieFileValidation;
  try {
    validation = validatePieFile(file);
  } catch (error) {
    if (error instanceof TomlSyntaxError || error instanceof ConfigFileError) throw new CliError(error.message, 2);
    throw error;
  }
  if (!validation.ok) {
    const lines = validation.problems.map((p) => formatProblem(p, file));
    throw new CliError(`${file} is not valid (run \`pie-trtllm validate ${file}\`):\n${lines.join('\n')}`, 1);
  }
  const ours = validation.models;
  if (ours.length === 0) throw new CliError(`${file} has no [[model]] with driver type tensorrt_llm (or tensorrt-llm, trtllm)`, 1);
  const model = name === undefined ? (ours.length === 1 ? ours[0] : undefined) : ours.find((m) => m.name === name);
  if (!model) {
    const names = ours.map((m) => JSON.stringify(m.name)).join(', ');
    // Naming a model that is not there is a usage error, like any other wrong argument.
    throw new CliError(name === undefined ? `${file} has several tensorrt_llm models (${names}); pick one with --model NAME` : `no tensorrt_llm model named ${JSON.stringify(name)} in ${file}; known: ${names}`, 2);
  }
  const written = ((validation.document.value.model as Record<string, unknown>[])[model.index]!.driver ?? {}) as Record<string, unknown>;
  // A relative venv or python is taken from the pie.toml's folder, here, once: what doctor checks
  // is what the runtime runs, wherever either is started from.
  const base = dirname(resolve(file));
  const options = model.driver.options;
  const paths: { venv?: string; python?: string } = {};
  for (const key of ['venv', 'python'] as const) {
    const value = options[key];
    if (value !== undefined && !isAbsolute(value)) paths[key] = resolve(base, value);
  }
  if (Object.keys(paths).length === 0) return { name: model.name, hf_repo: model.hf_repo, table: written, driver: model.driver, validation };
  const table = { ...written, options: { ...(written.options as Record<string, unknown>), ...paths } };
  return { name: model.name, hf_repo: model.hf_repo, table, driver: { ...model.driver, options: { ...options, ...paths } }, validation };
}
