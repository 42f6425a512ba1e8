import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { validatePieToml } from '../../src/config/pie-file-validator.js';
import { loadSchema } from '../../src/config/schema-files.js';
import { taploVerdicts } from '../helpers/taplo.js';
import { budget } from '../helpers/test-budget.js';

/** TOML for the few value shapes the generator makes. */
function toml(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toPrecision(6).replace(/0+$/, '').replace(/\.$/, '.0');
  if (Array.isArray(value)) return `[${value.map(toml).join(', ')}]`;
  throw new Error(`no TOML for ${JSON.stringify(value)}`);
}

const optionKeys = Object.keys((loadSchema('driver') as { properties: { options: { properties: object } } }).properties.options.properties).filter((k) => k !== 'llm_kwargs');
const value = fc.oneof(
  fc.integer({ min: -2, max: 20 }),
  fc.constantFrom(0, 1, 16, 17, 4096, 65536),
  fc.double({ min: 0.05, max: 1.5, noNaN: true }),
  fc.boolean(),
  fc.constantFrom('generate', 'pyexecutor', 'pytorch', 'bf16', 'latency', '/opt/venv', ''),
  fc.constant(['cuda:0']),
);
const table = fc.record({
  type: fc.constantFrom('tensorrt_llm', 'tensorrt-llm', 'trtllm'),
  device: fc.constantFrom<unknown>('cuda:0', ['cuda:0', 'cuda:1'], [], 3, ''),
  driverKeys: fc.dictionary(fc.constantFrom('tensor_parallel_size', 'activation_dtype', 'random_seed', 'ipc_profile', 'spin_budget_us', 'devices'), value, { maxKeys: 2 }),
  options: fc.dictionary(fc.constantFrom(...optionKeys, 'lookahed_tokens', 'max_num_kv_pages'), value, { maxKeys: 3 }),
});

describe('property: random [model.driver] tables, our validator and taplo agree', function () {
  this.timeout(budget(60_000, 300_000));

  it('gives the same verdict for every sampled table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pie-config-property-'));
    const samples = fc.sample(table, { numRuns: budget(60, 400), seed: 1126 });
    const files = samples.map((t, i) => {
      const lines = ['[[model]]', 'name = "m"', 'hf_repo = "r"', '', '[model.driver]', `type = ${toml(t.type)}`, `device = ${toml(t.device)}`];
      for (const [k, v] of Object.entries(t.driverKeys)) lines.push(`${k} = ${toml(v)}`);
      lines.push('', '[model.driver.options]');
      for (const [k, v] of Object.entries(t.options)) lines.push(`${k} = ${toml(v)}`);
      const file = join(dir, `table-${i}.toml`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      return file;
    });
    const taplo = await taploVerdicts(files);
    let valid = 0;
    const disagreements: string[] = [];
    files.forEach((file, i) => {
      const ours = validatePieToml(readFileSync(file, 'utf8'), file);
      if (ours.ok) valid++;
      // The one rule JSON Schema cannot state (the replica size must divide the device list) is
      // ours alone; taplo accepting such a table is expected, any other difference is not.
      const onlyTopology = !ours.ok && ours.problems.every((p) => p.path.endsWith('.tensor_parallel_size') && /does not divide the \d+ devices? in `device`/.test(p.message));
      if (onlyTopology && taplo.get(file) === true) return;
      if (ours.ok !== taplo.get(file)) disagreements.push(`${file}: ours ${ours.ok}, taplo ${taplo.get(file)}: ${JSON.stringify(samples[i])} ${JSON.stringify(ours.problems)}`);
    });
    expect(disagreements).to.deep.equal([]);
    expect(valid, 'the sample holds valid tables too').to.be.greaterThan(0);
    expect(valid, 'the sample holds invalid tables too').to.be.lessThan(files.length);
  });
});
