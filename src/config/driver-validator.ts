import type { ValidateFunction } from 'ajv';
import type { ConfigProblem } from './config-problem.js';
import { formatAjvErrors } from './problem-formatter.js';
import { type ResolvedDriverConfig, type TensorRtLlmDriverTable, resolveDriverConfig } from './resolved-config.js';
import compiled from './generated/driver-validate.js';

/** A validation outcome: a typed, defaults-filled config, or the problems found. */
/** Compiled ahead of time from schema/driver.schema.json (scripts/generate-types.mjs). */
const validate = compiled as unknown as ValidateFunction<TensorRtLlmDriverTable>;

export type DriverValidation =
  | { ok: true; config: ResolvedDriverConfig; problems: [] }
  | { ok: false; config?: undefined; problems: ConfigProblem[] };

/**
 * Validates one `[model.driver]` table. `at` is the TOML path of the table, used as the prefix of
 * every problem path (default `model.driver`).
 */
export function validateDriverTable(table: unknown, at: readonly (string | number)[] = ['model', 'driver']): DriverValidation {
  if (validate(table)) return { ok: true, config: resolveDriverConfig(table), problems: [] };
  return { ok: false, problems: formatAjvErrors(validate.errors ?? [], at) };
}
