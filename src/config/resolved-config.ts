import type {
  DefaultedDriverKey,
  DefaultedOptionKey,
  TensorRtLlmDriverOptions,
  TensorRtLlmDriverTable,
} from './generated/driver-config.js';
import { loadSchema } from './schema-files.js';

export type { TensorRtLlmDriverOptions, TensorRtLlmDriverTable } from './generated/driver-config.js';

/** Capacity keys Pie rejects; the schema types them as `never`. */
type CapacityKey = {
  [K in keyof TensorRtLlmDriverOptions]-?: [NonNullable<TensorRtLlmDriverOptions[K]>] extends [never] ? K : never;
}[keyof TensorRtLlmDriverOptions];

/** `[model.driver.options]` with every schema default filled in. */
export type ResolvedDriverOptions = Omit<TensorRtLlmDriverOptions, DefaultedOptionKey | CapacityKey> &
  Required<Pick<TensorRtLlmDriverOptions, DefaultedOptionKey>>;

/** `[model.driver]` after validation: canonical type, device list, every default filled in. */
export type ResolvedDriverConfig = Omit<TensorRtLlmDriverTable, DefaultedDriverKey | 'options' | 'device' | 'type'> &
  Required<Pick<TensorRtLlmDriverTable, DefaultedDriverKey>> & {
    type: 'tensorrt_llm';
    device: string[];
    options: ResolvedDriverOptions;
  };

type Properties = Record<string, { default?: unknown }>;

function defaultsOf(properties: Properties): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(properties)) {
    if (schema.default !== undefined && key !== 'options') out[key] = schema.default;
  }
  return out;
}

const driverSchema = loadSchema('driver') as { properties: Properties & { options: { properties: Properties } } };
const driverDefaults = Object.freeze(defaultsOf(driverSchema.properties));
const optionDefaults = Object.freeze(defaultsOf(driverSchema.properties.options.properties));

/** Fills schema defaults into a table that has already passed validation. Never mutates its input. */
export function resolveDriverConfig(table: TensorRtLlmDriverTable): ResolvedDriverConfig {
  const options = (table.options ?? {}) as TensorRtLlmDriverOptions;
  return {
    ...driverDefaults,
    ...table,
    type: 'tensorrt_llm',
    device: typeof table.device === 'string' ? [table.device] : [...table.device],
    options: { ...optionDefaults, ...options, llm_kwargs: { ...(options.llm_kwargs ?? {}) } },
  } as ResolvedDriverConfig;
}
