import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { conformanceRequests } from '../../src/plugin/conformance/conformance-requests.js';
import { repoRoot } from '../helpers/package-paths.js';

const PAIR_KEYS = ['token_ids', 'position_ids', 'qo_indptr', 'context_ids', 'samplers', 'sampler_indptr'];
const GREEDY = { type: 'top_p', temperature: 0, p: 1 };

describe('the requests the conformance kit sends (docs/plugin-authors.md)', () => {
  it('shows, for every feature, exactly the batch the kit sends', () => {
    const docs = readFileSync(join(repoRoot, 'docs', 'plugin-authors.md'), 'utf8');
    const table = docs.slice(docs.indexOf('<!-- kit-requests:start -->'), docs.indexOf('<!-- kit-requests:end -->'));
    const rows = new Map(table.split('\n').filter((line) => line.startsWith('| `')).map((line) => {
      const [feature, fields] = line.slice(2, -2).split(' | ');
      return [feature!.replaceAll('`', ''), JSON.parse(/`(\{.*\})`/.exec(fields!)![1]!) as Record<string, unknown>];
    }));
    expect([...rows.keys()]).to.deep.equal(Object.keys(conformanceRequests.rejected));
    for (const [feature, make] of Object.entries(conformanceRequests.rejected)) {
      const batch = make() as unknown as Record<string, unknown>;
      // The pair every feature starts from, as the docs spell it out.
      expect([batch.token_ids, batch.position_ids, batch.qo_indptr, batch.sampler_indptr], feature).to.deep.equal([[11, 12], [0, 0], [0, 1, 2], [0, 1, 2]]);
      const added = Object.fromEntries(Object.entries(batch).filter(([key]) => !PAIR_KEYS.includes(key)));
      const samplers = JSON.stringify(batch.samplers) === JSON.stringify([GREEDY, GREEDY]) ? {} : { samplers: batch.samplers };
      expect({ ...samplers, ...added }, feature).to.deep.equal(rows.get(feature));
    }
  });
});
