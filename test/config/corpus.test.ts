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
    taplo = await taploVerdicts([...files('valid'), ...files('invalid'), ...files('topology')]);
  });

  it('holds at least 30 files', () => {
    expect(files('valid').length + files('invalid').length).to.be.at.least(30);
  });

  // The one rule JSON Schema cannot state: a replica's devices (tensor × pipeline parallel) must
  // divide the device list. Editors show it in the key's description; `validate` enforces it.
  for (const file of files('topology')) {
    it(`rejects topology/${file.split('/').pop()} naming both sizes and the device count (taplo cannot)`, () => {
      const text = readFileSync(file, 'utf8');
      const result = validatePieToml(text, file);
      const expected = /^# expect: (\S+)/.exec(text)?.[1];
      expect(result.problems.map((p) => p.path)).to.deep.equal([expected]);
      expect(result.problems[0]!.message).to.match(/^tensor_parallel_size \d+ × pipeline_parallel_size \d+ = \d+ devices per replica does not divide the \d+ devices? in `device`; list a multiple of \d+ devices, or lower the sizes$/);
      expect(result.problems[0]!.line).to.be.a('number');
      expect(taplo.get(file), 'taplo verdict').to.equal(true);
    });
  }

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
