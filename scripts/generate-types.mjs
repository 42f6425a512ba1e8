#!/usr/bin/env node
// Derives the files that follow from schema/driver.schema.json and schema/wire.schema.json:
// the whole-file editor schema (schema/pie.schema.json) and the TypeScript types.
// `--check` compares instead of writing and fails when a committed file is stale.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { compile } from 'json-schema-to-typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const read = (p) => JSON.parse(readFileSync(join(root, p), 'utf8'));
const driver = read('schema/driver.schema.json');
const ourTypes = driver.properties.type.enum;

function pieSchema() {
  const { $schema, $id, ...driverBody } = driver;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://pie.dev/schemas/pie-driver-tensorrt-llm/pie.schema.json',
    title: 'PieToml',
    description: 'A whole pie.toml. Checks every [[model]] whose driver.type is tensorrt_llm (or an alias) against the TensorRT-LLM driver schema; other driver types and other top-level tables belong to their owners. Generated from driver.schema.json by scripts/generate-types.mjs.',
    type: 'object',
    required: ['model'],
    properties: {
      model: {
        type: 'array',
        minItems: 1,
        description: 'The models this Pie server serves, one [[model]] table each.',
        items: { $ref: '#/definitions/model' },
      },
    },
    definitions: {
      model: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'hf_repo', 'driver'],
        properties: {
          name: { type: 'string', minLength: 1, description: 'Model name programs ask for; unique across [[model]] tables.' },
          hf_repo: { type: 'string', minLength: 1, description: 'Hugging Face repository `owner/name`, or a local snapshot folder.' },
          driver: {
            type: 'object',
            required: ['type'],
            description: 'The driver that serves this model.',
            properties: { type: { type: 'string', description: 'Driver type; `tensorrt_llm` (or `tensorrt-llm`, `trtllm`) selects this driver.' } },
          },
          scheduler: { type: 'object', description: "Pie's scheduler settings for this model (owned by Pie)." },
        },
        if: {
          required: ['driver'],
          properties: { driver: { type: 'object', required: ['type'], properties: { type: { enum: ourTypes } } } },
        },
        then: { properties: { driver: { $ref: '#/definitions/tensorrt_llm_driver' } } },
      },
      tensorrt_llm_driver: driverBody,
    },
  };
}

const banner = '/* Generated from schema/*.schema.json by scripts/generate-types.mjs. Do not edit; run `npm run gen:types`. */';

function defaultedKeys(props) {
  return Object.entries(props).filter(([, s]) => 'default' in s).map(([k]) => `'${k}'`).join(' | ') || 'never';
}

async function driverTypes() {
  const { options, ...rest } = driver.properties;
  const ts = await compile(driver, 'TensorRtLlmDriverTable', {
    bannerComment: banner, additionalProperties: false, unknownAny: true, format: true, style: { singleQuote: true },
  });
  return `${ts}
/** Keys of the [model.driver] table that have a schema default. */
export type DefaultedDriverKey = ${defaultedKeys(rest)};
/** Keys of [model.driver.options] that have a schema default. */
export type DefaultedOptionKey = ${defaultedKeys(options.properties)};
`;
}

async function wireTypes() {
  if (!existsSync(join(root, 'schema/wire.schema.json'))) return null;
  return compile(read('schema/wire.schema.json'), 'WireMessages', {
    bannerComment: banner, additionalProperties: false, unknownAny: true, format: true, style: { singleQuote: true },
  });
}

/** The operators' option reference (docs/operators.md), rebuilt from the schema between its two markers. */
function readmeWithTable() {
  const readmePath = join(root, 'docs', 'operators.md');
  if (!existsSync(readmePath)) return null;
  const readme = readFileSync(readmePath, 'utf8');
  const start = '<!-- options-table:start -->';
  const end = '<!-- options-table:end -->';
  const i = readme.indexOf(start);
  const j = readme.indexOf(end);
  if (i < 0 || j < 0) return null;
  const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const typeOf = (s) => s.not ? 'rejected' : s.enum ? s.enum.map((v) => `\`${v}\``).join(' | ') : s.tsType && s.type !== 'object' ? s.tsType : Array.isArray(s.type) ? s.type.join(' | ') : s.type === 'object' ? 'table' : s.type;
  const bounds = (s) => {
    const parts = [];
    if (s.const !== undefined) parts.push(`= ${s.const}`);
    if (s.exclusiveMinimum !== undefined) parts.push(`> ${s.exclusiveMinimum}`);
    if (s.minimum !== undefined) parts.push(`≥ ${s.minimum}`);
    if (s.maximum !== undefined) parts.push(`≤ ${s.maximum}`);
    if (s.minItems !== undefined) parts.push('non-empty');
    return parts.join(', ');
  };
  const row = (key, s) => `| \`${key}\` | ${cell(typeOf(s))} | ${s.default === undefined ? (s.not ? '—' : required.has(key) ? 'required' : 'unset') : `\`${JSON.stringify(s.default)}\``} | ${cell(bounds(s))} | ${cell(s.description)} |`;
  const required = new Set(driver.required);
  const lines = ['| key | type | default | bounds | what it does |', '| --- | --- | --- | --- | --- |'];
  for (const [key, s] of Object.entries(driver.properties)) if (key !== 'options') lines.push(row(key, s));
  for (const [key, s] of Object.entries(driver.properties.options.properties)) lines.push(row(`options.${key}`, s));
  return readme.slice(0, i + start.length) + '\n' + lines.join('\n') + '\n' + readme.slice(j);
}

/**
 * The [model.driver] validator, compiled ahead of time by Ajv in strict mode (as Fastify ships its
 * config validator), so loading the plugin pulls in neither Ajv's compiler nor a compile step.
 */
function driverValidatorModule() {
  const keywords = read('schema/editor-keywords.json');
  const ajv = new Ajv({ strict: true, allErrors: true, verbose: true, allowUnionTypes: true, code: { source: true, esm: true } });
  for (const keyword of keywords) ajv.addKeyword({ keyword });
  const code = standaloneCode.default(ajv, ajv.compile(driver));
  return `// Generated from schema/driver.schema.json by scripts/generate-types.mjs. Do not edit; run \`npm run gen:types\`.
// @ts-nocheck
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
${code}
`;
}

const outputs = [
  ['schema/pie.schema.json', JSON.stringify(pieSchema(), null, 2) + '\n'],
  ['src/config/generated/driver-config.ts', await driverTypes()],
  ['src/config/generated/driver-validate.js', driverValidatorModule()],
];
const readme = readmeWithTable();
if (readme) outputs.push(['docs/operators.md', readme]);
const wire = await wireTypes();
if (wire) outputs.push(['src/runtime/generated/wire-messages.ts', wire]);

let stale = 0;
for (const [path, text] of outputs) {
  const full = join(root, path);
  const current = existsSync(full) ? readFileSync(full, 'utf8') : null;
  if (current === text) continue;
  if (check) {
    console.error(`${path} is stale: run \`npm run gen:types\` and commit the result`);
    stale++;
  } else {
    writeFileSync(full, text);
    console.log(`wrote ${path}`);
  }
}
if (stale) process.exit(1);
