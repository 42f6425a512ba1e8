import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** The package root: three levels above dist/src/config at run time. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const schemaPaths = {
  driver: join(packageRoot, 'schema', 'driver.schema.json'),
  pie: join(packageRoot, 'schema', 'pie.schema.json'),
  wire: join(packageRoot, 'schema', 'wire.schema.json'),
  editorKeywords: join(packageRoot, 'schema', 'editor-keywords.json'),
} as const;

export type JsonSchema = Record<string, unknown>;

const cache = new Map<string, JsonSchema>();

/** Reads a schema file once per process. */
export function loadSchema(name: 'driver' | 'pie' | 'wire'): JsonSchema {
  let schema = cache.get(name);
  if (!schema) {
    schema = JSON.parse(readFileSync(schemaPaths[name], 'utf8')) as JsonSchema;
    cache.set(name, schema);
  }
  return schema;
}
