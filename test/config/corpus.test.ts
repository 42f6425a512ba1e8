import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { validatePieToml } from '../../src/config/pie-file-validator.js';
import { fixtures } from '../helpers/package-paths.js';
import { taploVerdicts } from '../helpers/taplo.js';

const corpus = join(fixtures, 'config');
const files = (kind: string) => readdirSync(join(corpus, kind)).filter((f) => f.endsWith('.toml')).map((f) => join(corpus, kind, f));

describe('configuration corpus: our validator and taplo agree', function () {
  this.timeout(60_000);
  let taplo: Map<string, boolean>;
  before(async () => {
    taplo = await taploVerdicts([...files('valid'), ...files('invalid')]);
  });

  it('holds at least 30 files', () => {
    expect(files('valid').length + files('invalid').length).to.be.at.least(30);
  });

  for (const file of files('valid')) {
    it(`accepts valid/${file.split('/').pop()}`, () => {
      const result = validatePieToml(readFileSync(file, 'utf8'), file);
      expect(result.problems, JSON.stringify(result.problems)).to.deep.equal([]);
      expect(taplo.get(file), 'taplo verdict').to.equal(true);
    });
  }

  for (const file of files('invalid')) {
    it(`rejects invalid/${file.split('/').pop()} naming its key`, () => {
      const text = readFileSync(file, 'utf8');
      const expected = /^# expect: (\S+)/.exec(text)?.[1];
      expect(expected, 'fixture states the key it expects').to.be.a('string');
      const result = validatePieToml(text, file);
      expect(result.ok).to.equal(false);
      const lines = result.problems.map((p) => `${p.path}: ${p.message}`);
      expect(lines.some((l) => l.includes(expected!)), lines.join('\n')).to.equal(true);
      for (const problem of result.problems) {
        expect(problem.message).not.to.match(/oneOf|anyOf|must match "then"|must match a schema/);
        expect(problem.line, `line of ${problem.path}`).to.be.a('number');
      }
      expect(taplo.get(file), 'taplo verdict').to.equal(false);
    });
  }
});
