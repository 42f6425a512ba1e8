import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { METRICS } from '../../src/metrics/metric-catalog.js';
import { fencedAfter, operatorsGuide as operators } from '../helpers/operator-docs.js';
import { prometheusTool } from '../helpers/prometheus-tools.js';

describe('metrics reference (docs/operators.md)', () => {
  it('lists every instrument with its kind, unit, meaning and attributes, and nothing else', () => {
    const table = operators.slice(operators.indexOf('<!-- metrics-table:start -->'), operators.indexOf('<!-- metrics-table:end -->'));
    const rows = table.split('\n').filter((line) => line.startsWith('| `')).map((line) => line.slice(2, -2).split(' | '));
    const expected = Object.values(METRICS).map((m) => [`\`${m.name}\``, m.kind, `\`${m.unit}\``, m.description, m.attributes.map((a) => `\`${a}\``).join(', ')]);
    expect(rows).to.deep.equal(expected);
  });

  it('shows an alert rule file that promtool accepts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pie-rules-'));
    try {
      const file = join(dir, 'rules.yml');
      writeFileSync(file, fencedAfter('An alert rule file', 'yaml'));
      const check = spawnSync(prometheusTool('promtool'), ['check', 'rules', file], { encoding: 'utf8' });
      expect(check.status, check.stdout + check.stderr).to.equal(0);
      expect(check.stdout).to.include('SUCCESS: 2 rules found');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
