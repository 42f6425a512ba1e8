import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { schemaPaths } from './schema-files.js';

/** Keywords the schemas carry for editors (taplo, VS Code), error messages and code generation. */
export const editorKeywords: string[] = JSON.parse(readFileSync(schemaPaths.editorKeywords, 'utf8')) as string[];

/** The options every validator of the package is compiled with (also the build-time one). */
export const ajvOptions = { strict: true, allErrors: true, verbose: true, allowUnionTypes: true } as const;

/**
 * A strict draft-07 Ajv. Editor keywords are declared as vocabulary so strict mode stays on for
 * everything else.
 */
export function createAjv(): Ajv {
  const ajv = new Ajv(ajvOptions);
  for (const keyword of editorKeywords) ajv.addKeyword({ keyword });
  return ajv;
}
