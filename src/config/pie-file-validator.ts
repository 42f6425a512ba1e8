import { readConfigText } from './config-file-reader.js';
import type { ValidateFunction } from 'ajv';
import { distance } from 'fastest-levenshtein';
import { createAjv } from './ajv-instance.js';
import { type ConfigProblem, pathSegments } from './config-problem.js';
import { deviceGroupProblem, deviceListProblem } from './device-groups.js';
import { executionModeNote, unusedPyexecutorKeys } from './execution-mode.js';
import { formatAjvErrors } from './problem-formatter.js';
import { type ResolvedDriverConfig, type TensorRtLlmDriverTable, resolveDriverConfig } from './resolved-config.js';
import { loadSchema } from './schema-files.js';
import { tableShapeProblem } from './table-shape.js';
import { TomlDocument } from './toml-document.js';

/** The driver types this package serves. */
export const DRIVER_TYPES = ['tensorrt_llm', 'tensorrt-llm', 'trtllm'] as const;

/** One `[[model]]` served by this driver, validated and resolved. */
export interface ResolvedModel {
  index: number;
  name: string;
  hf_repo: string;
  driver: ResolvedDriverConfig;
}

export interface PieFileValidation {
  ok: boolean;
  /** In the order their lines come in the file. */
  problems: ConfigProblem[];
  /** Not errors, but likely mistakes: a driver type one typo away from this driver's, a key that does nothing as written. */
  warnings: ConfigProblem[];
  /** How a setting is served where that is not what its name suggests (Pie's pyexecutor mode). */
  notes: ConfigProblem[];
  /** The models whose driver is ours, when the whole file is valid. */
  models: ResolvedModel[];
  document: TomlDocument;
}

export { ConfigFileError } from './config-file-reader.js';

interface PieValidators {
  /** The file without its [[model]] tables' contents. */
  root: ValidateFunction;
  /** One [[model]] table. */
  model: ValidateFunction;
}

let compiled: PieValidators | undefined;

/**
 * The pie schema, compiled to validate the file's top level and each [[model]] table apart. Ajv
 * gathers a referenced schema's errors by copying them onto its caller's list, once per call: one
 * call over the whole file costs the square of its problems (122 s for 20,000), one call per
 * table keeps validation linear in the file's size.
 */
function validators(): PieValidators {
  if (!compiled) {
    const schema = loadSchema('pie') as { $id: string; properties: { model: Record<string, unknown> } };
    const ajv = createAjv();
    ajv.addSchema(schema);
    const { $id, ...rest } = schema;
    compiled = {
      root: ajv.compile({ ...rest, properties: { ...rest.properties, model: { ...rest.properties.model, items: true } } }),
      model: ajv.getSchema(`${$id}#/definitions/model`)!,
    };
  }
  return compiled;
}

function schemaProblems(value: Record<string, unknown>): ConfigProblem[] {
  const { root, model } = validators();
  const problems = root(value) ? [] : formatAjvErrors(root.errors ?? []);
  if (Array.isArray(value.model)) {
    value.model.forEach((table: unknown, index) => {
      if (!model(table)) problems.push(...formatAjvErrors(model.errors ?? [], ['model', index]));
    });
  }
  return problems;
}

interface ModelTable {
  name?: unknown;
  hf_repo?: unknown;
  driver?: { type?: unknown; device?: unknown; options?: unknown };
}

/** Rules that span several models (Pie's own): unique names, devices claimed once. */
function crossModelProblems(models: ModelTable[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const names = new Map<string, number>();
  const devices = new Map<string, { index: number; label: string }>();
  models.forEach((model, index) => {
    if (typeof model.name === 'string') {
      const previous = names.get(model.name);
      if (previous !== undefined) {
        problems.push({ path: `model[${index}].name`, message: `duplicate model name ${JSON.stringify(model.name)} (also model[${previous}]); give each [[model]] its own name` });
      } else names.set(model.name, index);
    }
    const device = model.driver?.device;
    const list = typeof device === 'string' ? [device] : Array.isArray(device) ? device : [];
    for (const d of list) {
      if (typeof d !== 'string') continue;
      const owner = devices.get(d);
      const label = typeof model.name === 'string' ? model.name : `model[${index}]`;
      if (owner !== undefined && owner.index !== index) {
        // Two models of one name (itself a problem) are told apart by index.
        const both = owner.label === label ? `model[${owner.index}] and model[${index}] (both named ${JSON.stringify(label)})` : `model ${JSON.stringify(owner.label)} and ${JSON.stringify(label)}`;
        problems.push({ path: `model[${index}].driver.device`, message: `device ${JSON.stringify(d)} claimed by both ${both}; give each model its own devices` });
      } else devices.set(d, { index, label });
    }
  });
  return problems;
}

/** What the schema cannot say about each TensorRT-LLM model's table: its depth and keys, single
 *  and distinct devices, and a replica size that divides them (checked once the types are right). */
function driverTableProblems(models: ModelTable[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const positive = (value: unknown, fallback: number) => (value === undefined ? fallback : Number.isSafeInteger(value) && (value as number) >= 1 ? (value as number) : undefined);
  models.forEach((model, index) => {
    const driver = model.driver as (TensorRtLlmDriverTable & { options?: { pipeline_parallel_size?: unknown } }) | undefined;
    if (!driver || !(DRIVER_TYPES as readonly unknown[]).includes(driver.type)) return;
    const shape = tableShapeProblem(driver, ['model', index, 'driver']);
    if (shape) {
      problems.push(shape);
      return;
    }
    const device = driver.device as unknown;
    const list = typeof device === 'string' ? [device] : Array.isArray(device) ? device : [];
    if (list.every((d) => typeof d === 'string')) {
      const listProblem = deviceListProblem(list as string[], `model[${index}].driver`);
      if (listProblem) problems.push(listProblem);
    }
    const count = typeof device === 'string' ? 1 : Array.isArray(device) && device.length > 0 ? device.length : undefined;
    const tp = positive(driver.tensor_parallel_size, 1);
    const pp = positive(driver.options?.pipeline_parallel_size, 1);
    if (count === undefined || tp === undefined || pp === undefined) return; // the schema's message says what is wrong
    const problem = deviceGroupProblem(count, tp, pp, `model[${index}].driver`);
    if (problem) problems.push(problem);
  });
  return problems;
}

/** Pyexecutor-mode keys that do nothing as written, in the tables of this driver. */
function unusedKeys(models: ModelTable[]): ConfigProblem[] {
  const warnings: ConfigProblem[] = [];
  models.forEach((model, index) => {
    const options = model.driver?.options;
    if (!(DRIVER_TYPES as readonly unknown[]).includes(model.driver?.type) || options === null || typeof options !== 'object' || Array.isArray(options)) return;
    warnings.push(...unusedPyexecutorKeys(options as Record<string, unknown>, `model[${index}].driver.options`));
  });
  return warnings;
}

/** A driver type within two edits of one of ours is most likely meant to be ours. */
function nearMissTypes(models: ModelTable[]): ConfigProblem[] {
  const warnings: ConfigProblem[] = [];
  models.forEach((model, index) => {
    const type = model.driver?.type;
    if (typeof type !== 'string' || (DRIVER_TYPES as readonly string[]).includes(type)) return;
    const nearest = DRIVER_TYPES.map((ours) => ({ ours, d: distance(type.toLowerCase(), ours) })).sort((a, b) => a.d - b.d)[0]!;
    if (nearest.d <= 2) {
      warnings.push({ path: `model[${index}].driver.type`, message: `${JSON.stringify(type)} is not a driver type of this package; did you mean ${JSON.stringify(nearest.ours)}? (as written, another driver plugin must serve it)` });
    }
  });
  return warnings;
}

/** Validates the text of a whole pie.toml. Throws TomlSyntaxError when it does not parse. */
export function validatePieToml(text: string, file = '<input>'): PieFileValidation {
  const document = TomlDocument.parse(text, file);
  const problems = schemaProblems(document.value);
  const models = Array.isArray(document.value.model) ? (document.value.model as ModelTable[]) : [];
  problems.push(...crossModelProblems(models), ...driverTableProblems(models));
  const warnings = [...nearMissTypes(models), ...unusedKeys(models)];
  const notes: ConfigProblem[] = [];
  if (problems.length === 0) {
    models.forEach((model, index) => {
      const note = (DRIVER_TYPES as readonly unknown[]).includes(model.driver?.type) ? executionModeNote(model.driver?.options ?? {}) : undefined;
      if (note) notes.push({ path: `model[${index}].driver.options.execution_mode`, message: note });
    });
  }
  for (const problem of [...problems, ...warnings, ...notes]) {
    problem.line = document.lineOf(pathSegments(problem.path));
  }
  // Line order, as an editor shows them; problems without a line keep their place at the end.
  const byLine = (a: ConfigProblem, b: ConfigProblem) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER);
  problems.sort(byLine);
  warnings.sort(byLine);
  const resolved: ResolvedModel[] = [];
  if (problems.length === 0) {
    models.forEach((model, index) => {
      if ((DRIVER_TYPES as readonly unknown[]).includes(model.driver?.type)) {
        resolved.push({ index, name: String(model.name), hf_repo: String(model.hf_repo), driver: resolveDriverConfig(model.driver as TensorRtLlmDriverTable) });
      }
    });
  }
  return { ok: problems.length === 0, problems, warnings, notes, models: resolved, document };
}

/** Reads and validates a pie.toml file. Throws ConfigFileError or TomlSyntaxError. */
export function validatePieFile(file: string): PieFileValidation {
  return validatePieToml(readConfigText(file)!, file);
}
