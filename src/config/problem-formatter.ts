import type { ErrorObject } from 'ajv';
import { closest, distance } from 'fastest-levenshtein';
import { type ConfigProblem, tomlPath } from './config-problem.js';

/** Ajv types as a TOML user names them. */
const tomlTypeName: Record<string, string> = {
  string: 'a string', integer: 'an integer', number: 'a number', boolean: 'a boolean', object: 'a table', array: 'an array',
};

/** What a value is, in TOML words, with the value itself when it is short. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : `an array (${truncate(JSON.stringify(value))})`;
  if (value instanceof Date) return `a date-time (${value.toISOString()})`;
  if (value !== null && typeof value === 'object') return 'a table';
  if (typeof value === 'string') return `the string ${truncate(JSON.stringify(value))}`;
  if (typeof value === 'number') return `${Number.isInteger(value) ? 'the integer' : 'the number'} ${value}`;
  if (typeof value === 'bigint') return `the integer ${value}`;
  if (typeof value === 'boolean') return `the boolean ${value}`;
  return String(value);
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function expectedTypes(type: unknown, schema: Record<string, unknown>): string {
  const types = Array.isArray(type) ? type : [type];
  return types
    .map((t) => {
      if (t === 'array' && (schema.items as { type?: string } | undefined)?.type === 'string') return 'an array of strings';
      return tomlTypeName[String(t)] ?? String(t);
    })
    .join(' or ');
}

function segmentsOf(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** The nearest known key to an unknown one, when it is near enough to be a typo. */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const best = closest(unknown, known as string[]);
  return distance(unknown, best) <= Math.max(2, Math.floor(unknown.length / 3)) ? best : undefined;
}

function customMessage(error: ErrorObject): string | undefined {
  const messages = (error.parentSchema as { 'x-message'?: Record<string, string> } | undefined)?.['x-message'];
  return messages?.[error.keyword];
}

function messageFor(error: ErrorObject): { extra?: string; message: string } | undefined {
  const schema = (error.parentSchema ?? {}) as Record<string, unknown>;
  const custom = customMessage(error);
  if (custom) return { message: custom };
  const params = error.params as Record<string, unknown>;
  const found = describeValue(error.data);
  switch (error.keyword) {
    case 'if':
    case 'oneOf':
    case 'anyOf':
    case 'allOf':
      return undefined; // the branch's own errors say what is wrong
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys((schema.properties as object | undefined) ?? {}).filter(
        (k) => !((schema.properties as Record<string, { not?: unknown }>)[k]?.not),
      );
      const hint = suggestKey(key, known);
      return { extra: key, message: hint ? `unknown key; did you mean \`${hint}\`?` : `unknown key; expected one of ${known.map((k) => `\`${k}\``).join(', ')}` };
    }
    case 'required':
      return { extra: String(params.missingProperty), message: 'is required but missing' };
    case 'type':
      return { message: `expected ${expectedTypes(params.type, schema)}, found ${found}` };
    case 'enum':
      return { message: `expected one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, found ${found}` };
    case 'const':
      return { message: `expected ${JSON.stringify(params.allowedValue)}, found ${found}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const op = { minimum: '≥', maximum: '≤', exclusiveMinimum: '>', exclusiveMaximum: '<' }[error.keyword];
      const noun = schema.type === 'integer' ? 'an integer' : 'a number';
      const range = rangeText(schema);
      return { message: `expected ${noun} ${range ?? `${op} ${params.limit}`}, found ${found}` };
    }
    case 'minItems':
      return { message: `expected a non-empty array, found ${found}` };
    case 'minLength':
      return { message: `expected a non-empty string, found ${found}` };
    case 'not':
      return { message: `is not allowed here` };
    default:
      return { message: `${error.message ?? 'is invalid'}, found ${found}` };
  }
}

function rangeText(schema: Record<string, unknown>): string | undefined {
  const lower = schema.exclusiveMinimum !== undefined ? `> ${schema.exclusiveMinimum}` : schema.minimum !== undefined ? `≥ ${schema.minimum}` : undefined;
  const upper = schema.exclusiveMaximum !== undefined ? `< ${schema.exclusiveMaximum}` : schema.maximum !== undefined ? `≤ ${schema.maximum}` : undefined;
  if (schema.exclusiveMinimum === 0 && schema.maximum !== undefined) return `in (0, ${schema.maximum}]`;
  if (lower && upper) return `${lower} and ${upper}`;
  return lower ?? upper;
}

/**
 * Turns Ajv errors into one problem per real fault: wrapper keywords dropped, at most one
 * message per path (a wrong type hides the bounds checks on the same value), TOML paths.
 */
export function formatAjvErrors(errors: readonly ErrorObject[], prefix: readonly (string | number)[] = []): ConfigProblem[] {
  const problems: (ConfigProblem & { keyword: string })[] = [];
  for (const error of errors) {
    const formatted = messageFor(error);
    if (!formatted) continue;
    const segments = [...prefix, ...segmentsOf(error.instancePath), ...(formatted.extra !== undefined ? [formatted.extra] : [])];
    problems.push({ path: tomlPath(segments) || '(file)', message: formatted.message, keyword: error.keyword });
  }
  const typeFailed = new Set(problems.filter((p) => p.keyword === 'type').map((p) => p.path));
  const seen = new Set<string>();
  const out: ConfigProblem[] = [];
  for (const { path, message, keyword } of problems) {
    const key = `${path}\0${message}`;
    if (seen.has(key) || (keyword !== 'type' && typeFailed.has(path))) continue;
    seen.add(key);
    out.push({ path, message });
  }
  return out;
}
