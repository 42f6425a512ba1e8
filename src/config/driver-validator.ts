import type { ValidateFunction } from 'ajv';
import type { ConfigProblem } from './config-problem.js';
import { tomlPath } from './config-problem.js';
import { deviceGroupProblem, deviceListProblem } from './device-groups.js';
import { formatAjvErrors } from './problem-formatter.js';
import { type ResolvedDriverConfig, type TensorRtLlmDriverTable, resolveDriverConfig } from './resolved-config.js';
import compiled from './generated/driver-validate.js';
import { tableShapeProblem } from './table-shape.js';

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
  // First what no schema keyword says: the depth and keys of the whole table.
  const shape = tableShapeProblem(table, at);
  if (shape) return { ok: false, problems: [shape] };
  if (!validate(table)) return { ok: false, problems: formatAjvErrors(validate.errors ?? [], at) };
  const config = resolveDriverConfig(table);
  // What JSON Schema cannot say: devices are single and distinct, and the replica size divides them.
  const devices = deviceListProblem(config.device, tomlPath(at));
  if (devices) return { ok: false, problems: [devices] };
  const topology = deviceGroupProblem(config.device.length, config.tensor_parallel_size, config.options.pipeline_parallel_size, tomlPath(at));
  if (topology) return { ok: false, problems: [topology] };
  return { ok: true, config, problems: [] };
}
