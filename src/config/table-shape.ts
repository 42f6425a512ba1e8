import { type ConfigProblem, tomlPath } from './config-problem.js';

/** How many levels a driver table's values may nest below the table itself (`options.llm_kwargs`
 *  is level 2, so its own contents get 30): deeper values could not reach the runtime, whose JSON
 *  reader and `LLM(...)` recurse. */
export const MAX_TABLE_DEPTH = 32;

/** Keys that name JavaScript's prototype machinery: never a setting, and a hazard wherever an
 *  object is copied by assignment. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Why a leaf value cannot travel to the runtime as it is (the table goes there as JSON, which
 *  would change it silently: inf and nan become null, a function or undefined disappears), or
 *  undefined when it can. */
function unsendable(value: unknown): string | undefined {
  switch (typeof value) {
    case 'number':
      if (Number.isFinite(value)) return undefined;
      return `is ${Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf'}, which cannot reach the runtime (the table travels as JSON, where it would become null); write a finite number`;
    case 'function':
    case 'symbol':
    case 'bigint':
      return `is a ${typeof value === 'bigint' ? 'BigInt' : typeof value === 'symbol' ? 'Symbol' : 'function'}, which cannot reach the runtime (the table travels as JSON); use a string, number, boolean, array or table`;
    case 'undefined':
      return 'is undefined, which cannot reach the runtime (the table travels as JSON, where it would vanish); remove the key or give it a value';
    default:
      return undefined;
  }
}

/** Whether an object travels as JSON unchanged: a plain table or array, or a TOML date (sent as its text). */
function plainObject(value: object): boolean {
  if (Array.isArray(value) || value instanceof Date) return true;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/**
 * The first thing in a table's shape that no schema keyword can refuse: a value nested deeper than
 * `MAX_TABLE_DEPTH` (a table that refers to itself is one), an own key naming the prototype, or a
 * value JSON cannot carry to the runtime unchanged (inf, nan, a function, undefined, a Symbol, an
 * array hole, a Symbol key, a Map or other class instance). Walked iteratively, so the table's
 * depth cannot exhaust the stack.
 */
export function tableShapeProblem(table: unknown, at: readonly (string | number)[]): ConfigProblem | undefined {
  const pending: { value: unknown; path: (string | number)[] }[] = [{ value: table, path: [] }];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const { value, path } = item;
    if (value === null) continue;
    if (typeof value !== 'object') {
      const why = unsendable(value);
      if (why) return { path: tomlPath([...at, ...path]), message: why };
      continue;
    }
    if (path.length >= MAX_TABLE_DEPTH) {
      return { path: tomlPath([...at, ...path]), message: `nests deeper than the ${MAX_TABLE_DEPTH} levels a driver table may use below [model.driver] (or refers to itself); flatten it` };
    }
    if (!plainObject(value)) {
      const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
      return { path: tomlPath([...at, ...path]), message: `is ${typeof name === 'string' && name ? `a ${name}` : 'an object of a class'}, which cannot reach the runtime as it is (the table travels as JSON); use a plain table or array` };
    }
    if (Object.getOwnPropertySymbols(value).length > 0) {
      return { path: tomlPath([...at, ...path]), message: 'has a Symbol key, which cannot reach the runtime (the table travels as JSON); use string keys' };
    }
    if (value instanceof Date) continue;
    if (Array.isArray(value)) {
      if (Object.keys(value).length !== value.length) {
        // Counted, not walked: a host-built array may claim billions of missing entries.
        return { path: tomlPath([...at, ...path]), message: 'has missing entries (holes) or keys that are not indices, which cannot reach the runtime as they are (JSON fills a hole with null and drops such a key); give every entry a value and nothing else' };
      }
      value.forEach((element, index) => pending.push({ value: element, path: [...path, index] }));
      continue;
    }
    for (const key of Object.keys(value)) {
      if (PROTOTYPE_KEYS.has(key)) {
        return { path: tomlPath([...at, ...path, key]), message: `the key "${key}" is not allowed (it names JavaScript's prototype machinery, and no setting uses it); rename or remove it` };
      }
      pending.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return undefined;
}
