import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { writeAtomically } from '../../src/cli/atomic-write.js';

describe('writing drivers.toml', () => {
  it('a link planted where the temporary file was once named (drivers.toml.<pid>.tmp) neither redirects the write nor becomes drivers.toml', () => {
    const home = mkdtempSync(join(tmpdir(), 'pie-plant-'));
    const victim = join(mkdtempSync(join(tmpdir(), 'pie-victim-')), 'precious');
    writeFileSync(victim, 'precious\n');
    const file = join(home, 'drivers.toml');
    writeFileSync(file, '# before\n');
    symlinkSync(victim, `${file}.${process.pid}.tmp`);
    writeAtomically(file, '[driver.tensorrt_llm]\nvenv = "/opt/venv"\n');
    expect(readFileSync(victim, 'utf8')).to.equal('precious\n');
    expect(lstatSync(file).isSymbolicLink()).to.equal(false);
    expect(readFileSync(file, 'utf8')).to.equal('[driver.tensorrt_llm]\nvenv = "/opt/venv"\n');
    // Nothing of ours is left beside it; the planted link is not ours to remove.
    expect(readdirSync(home).sort()).to.deep.equal(['drivers.toml', `drivers.toml.${process.pid}.tmp`]);
  });

  it('keeps the permissions of the file it replaces, and an operator\'s own link a link', () => {
    const home = mkdtempSync(join(tmpdir(), 'pie-mode-'));
    const file = join(home, 'drivers.toml');
    writeFileSync(file, '# before\n');
    chmodSync(file, 0o600);
    writeAtomically(file, '# after\n');
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    const shared = join(home, 'shared.toml');
    writeFileSync(shared, '# shared\n');
    const linked = join(home, 'linked.toml');
    symlinkSync(shared, linked);
    writeAtomically(linked, '# written\n');
    expect(lstatSync(linked).isSymbolicLink()).to.equal(true);
    expect(readFileSync(shared, 'utf8')).to.equal('# written\n');
  });
});
