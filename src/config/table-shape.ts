import { type ConfigProblem, tomlPath } from './config-problem.js';

/** How many levels a driver table's values may nest below the table itself (`options.llm_kwargs`
 *  is level 2, so its own contents get 30): deeper values could not reach the runtime, whose JSON
 *  reader and `LLM(...)` recurse. */
export const MAX_TABLE_DEPTH = 32;

/** Keys that name JavaScript's prototype machinery: never a setting, and a hazard wherever an
 *  object is copied by assignment. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The first thing in a table's shape that no schema keyword can refuse: a value nested deeper than
 * `MAX_TABLE_DEPTH` (a table that refers to itself is one), or an own key naming the prototype.
 * Walked iteratively, so the table's depth cannot exhaust the stack.
 */
export function tableShapeProblem(table: unknown, at: readonly (string | number)[]): ConfigProblem | undefined {
  const pending: { value: unknown; path: (string | number)[] }[] = [{ value: table, path: [] }];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const { value, path } = item;
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= MAX_TABLE_DEPTH) {
      return { path: tomlPath([...at, ...path]), message: `nests deeper than the ${MAX_TABLE_DEPTH} levels a driver table may use below [model.driver] (or refers to itself); flatten it` };
    }
    if (Array.isArray(value)) {
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
