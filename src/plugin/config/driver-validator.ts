import type { ValidateFunction } from 'ajv';
import { createAjv } from './ajv-instance.js';
import type { ConfigProblem } from './config-problem.js';
import { formatAjvErrors } from './problem-formatter.js';
import { type ResolvedDriverConfig, type TensorRtLlmDriverTable, resolveDriverConfig } from './resolved-config.js';
import { loadSchema } from './schema-files.js';

/** A validation outcome: a typed, defaults-filled config, or the problems found. */
export type DriverValidation =
  | { ok: true; config: ResolvedDriverConfig; problems: [] }
  | { ok: false; config?: undefined; problems: ConfigProblem[] };

let compiled: ValidateFunction<TensorRtLlmDriverTable> | undefined;

function validator(): ValidateFunction<TensorRtLlmDriverTable> {
  compiled ??= createAjv().compile<TensorRtLlmDriverTable>(loadSchema('driver'));
  return compiled;
}

/**
 * Validates one `[model.driver]` table. `at` is the TOML path of the table, used as the prefix of
 * every problem path (default `model.driver`).
 */
export function validateDriverTable(table: unknown, at: readonly (string | number)[] = ['model', 'driver']): DriverValidation {
  const validate = validator();
  if (validate(table)) return { ok: true, config: resolveDriverConfig(table), problems: [] };
  return { ok: false, problems: formatAjvErrors(validate.errors ?? [], at) };
}
