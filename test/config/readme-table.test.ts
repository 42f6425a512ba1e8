import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadSchema } from '../../src/config/schema-files.js';
import { repoRoot } from '../helpers/package-paths.js';

type Prop = { default?: unknown; not?: unknown; description: string };

describe('option reference (docs/operators.md)', () => {
  const readme = readFileSync(join(repoRoot, 'docs', 'operators.md'), 'utf8');
  const table = readme.slice(readme.indexOf('<!-- options-table:start -->'), readme.indexOf('<!-- options-table:end -->'));
  const rows = new Map<string, string[]>();
  for (const line of table.split('\n')) {
    const m = /^\| `([^`]+)` \| (.*) \|$/.exec(line);
    if (m) rows.set(m[1]!, m[2]!.split(/(?<!\\)\|/).map((c) => c.trim()));
  }
  const schema = loadSchema('driver') as { properties: Record<string, Prop> & { options: { properties: Record<string, Prop> } } };
  const expected = new Map<string, Prop>();
  for (const [k, v] of Object.entries(schema.properties)) if (k !== 'options') expected.set(k, v as Prop);
  for (const [k, v] of Object.entries(schema.properties.options.properties)) expected.set(`options.${k}`, v);

  it('lists exactly the schema keys', () => {
    expect([...rows.keys()].sort()).to.deep.equal([...expected.keys()].sort());
  });

  it('states each key\'s schema default', () => {
    for (const [key, prop] of expected) {
      const cell = rows.get(key)![1]!;
      if (prop.default !== undefined) expect(cell, key).to.equal(`\`${JSON.stringify(prop.default)}\``);
      else expect(cell, key).to.be.oneOf(['unset', 'required', '—']);
    }
  });

  it('marks the capacity keys Pie rejects as rejected', () => {
    for (const [key, prop] of expected) expect(rows.get(key)![0] === 'rejected', key).to.equal(Boolean(prop.not));
  });
});
