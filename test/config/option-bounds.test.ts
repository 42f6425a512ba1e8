import { expect } from 'chai';
import { loadSchema } from '../../src/config/schema-files.js';
import { validateDriverTable } from '../../src/config/driver-validator.js';
import { OPTION_BOUNDS, type OptionBound } from './option-bounds.js';

type Schema = Record<string, unknown> & { properties?: Record<string, Schema> };

function schemaOf(key: string): Schema {
  let node = loadSchema('driver') as Schema;
  for (const part of key.split('.')) node = node.properties![part]!;
  return node;
}

/** The table's bounds in JSON Schema's words. */
function expectedKeywords(b: OptionBound): Record<string, number> {
  const out: Record<string, number> = {};
  if (b.high !== undefined && b.high === b.low && !b.lowOpen && !b.highOpen) return { const: b.low };
  out[b.lowOpen ? 'exclusiveMinimum' : 'minimum'] = b.low;
  if (b.high !== undefined) out[b.highOpen ? 'exclusiveMaximum' : 'maximum'] = b.high;
  return out;
}

const PARALLEL_SIZES = ['tensor_parallel_size', 'options.pipeline_parallel_size'];

function tableWith(key: string, value: number): Record<string, unknown> {
  // A parallel size of n gets n devices, so the bound is tested, not the topology rule.
  const devices = PARALLEL_SIZES.includes(key) && Number.isSafeInteger(value) && value >= 1 ? Array.from({ length: value }, (_, i) => `cuda:${i}`) : 'cuda:0';
  const table: Record<string, unknown> = { type: 'tensorrt_llm', device: devices };
  const [head, tail] = key.split('.');
  if (tail === undefined) table[head!] = value;
  else table[head!] = { [tail]: value };
  return table;
}

const accepts = (key: string, value: number) => validateDriverTable(tableWith(key, value)).ok;

describe('option bounds: a hand-written table of what Pie and TensorRT-LLM state', () => {
  it('covers every numeric setting of the schema', () => {
    const numeric: string[] = [];
    const visit = (node: Schema, prefix: string) => {
      for (const [name, child] of Object.entries(node.properties ?? {})) {
        if (name === 'llm_kwargs') continue;
        const type = child.type;
        if (type === 'integer' || type === 'number') numeric.push(prefix + name);
        if (child.properties) visit(child, `${prefix}${name}.`);
      }
    };
    visit(loadSchema('driver') as Schema, '');
    expect(numeric.sort()).to.deep.equal(OPTION_BOUNDS.map((b) => b.key).sort());
  });

  for (const bound of OPTION_BOUNDS) {
    it(`${bound.key}: the schema states the table's bounds, and validate accepts and refuses at each edge`, () => {
      const schema = schemaOf(bound.key);
      expect(schema.type, 'type').to.equal(bound.integer ? 'integer' : 'number');
      const keywords = expectedKeywords(bound);
      for (const [keyword, value] of Object.entries(keywords)) expect(schema[keyword], `${keyword} (${bound.source})`).to.equal(value);
      for (const keyword of ['const', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']) {
        if (!(keyword in keywords)) expect(schema[keyword], `no ${keyword} beyond the table's`).to.equal(undefined);
      }
      const step = bound.integer ? 1 : 0.001;
      // The lower end: below it refused, at it accepted unless open, above it accepted.
      expect(accepts(bound.key, bound.low - step), `${bound.low - step}`).to.equal(false);
      expect(accepts(bound.key, bound.low), `${bound.low}`).to.equal(!bound.lowOpen);
      expect(accepts(bound.key, bound.low + step), `${bound.low + step}`).to.equal(bound.high === undefined || bound.low + step < bound.high || (bound.low + step === bound.high && !bound.highOpen));
      if (bound.high !== undefined) {
        expect(accepts(bound.key, bound.high - step), `${bound.high - step}`).to.equal(bound.high - step > bound.low || (bound.high - step === bound.low && !bound.lowOpen));
        expect(accepts(bound.key, bound.high), `${bound.high}`).to.equal(!bound.highOpen);
        expect(accepts(bound.key, bound.high + step), `${bound.high + step}`).to.equal(false);
      }
      if (bound.integer) expect(accepts(bound.key, bound.low + 0.5), 'a fraction').to.equal(false);
    });
  }
});
