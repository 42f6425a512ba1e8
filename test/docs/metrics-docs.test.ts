import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { METRICS } from '../../src/metrics/metric-catalog.js';
import { REQUEST_ERROR_CODES } from '../../src/capabilities/error-codes.js';
import { fencedAfter, operatorsGuide as operators } from '../helpers/operator-docs.js';
import { prometheusTool } from '../helpers/prometheus-tools.js';

describe('metrics reference (docs/operators.md)', () => {
  it('lists every instrument with its kind, unit, meaning and attributes, and nothing else', () => {
    const table = operators.slice(operators.indexOf('<!-- metrics-table:start -->'), operators.indexOf('<!-- metrics-table:end -->'));
    const rows = table.split('\n').filter((line) => line.startsWith('| `')).map((line) => line.slice(2, -2).split(' | '));
    const expected = Object.values(METRICS).map((m) => [`\`${m.name}\``, m.kind, `\`${m.unit}\``, m.description, m.attributes.map((a) => `\`${a}\``).join(', ')]);
    expect(rows).to.deep.equal(expected);
  });

  it('matches in its queries and alert rules only error codes a result can carry', () => {
    const shown = [...operators.matchAll(/error_type=~"([^"]+)"/g)].flatMap((m) => m[1]!.split('|'));
    expect(shown.length).to.be.above(0);
    expect(shown.filter((code) => !Object.hasOwn(REQUEST_ERROR_CODES, code))).to.deep.equal([]);
  });

  it('gives time per output token buckets fine enough below 10 ms for a p90 of a fast GPU', () => {
    // A p90 between two boundaries is read as a straight line: with the first at 10 ms, every step
    // under it came out as 9 ms. Steps of 2 to 10 ms (DESIGN §5: 2 ms and 5 ms iterations) need
    // boundaries at least every 2 ms there.
    const buckets = METRICS.timePerOutputToken.buckets;
    expect(buckets[0]).to.be.at.most(0.001);
    const below = buckets.filter((b) => b <= 0.01);
    for (let i = 1; i < below.length; i++) expect(below[i]! - below[i - 1]!, `${below[i - 1]} to ${below[i]}`).to.be.at.most(0.002 + 1e-12);
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
