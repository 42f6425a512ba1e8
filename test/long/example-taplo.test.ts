import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '../helpers/package-paths.js';

const taplo = join(repoRoot, 'node_modules', '.bin', 'taplo');

describe('the shipped example, copied into a host project (taplo)', function () {
  this.timeout(30_000);

  it('checks against the package schema through its own #:schema directive, and finds a wrong key', () => {
    const host = mkdtempSync(join(tmpdir(), 'pie-example-host-'));
    try {
      // A project that installed the package: node_modules/pie-driver-tensorrt-llm is this checkout.
      mkdirSync(join(host, 'node_modules'));
      symlinkSync(repoRoot, join(host, 'node_modules', 'pie-driver-tensorrt-llm'), 'dir');
      const example = readFileSync(join(repoRoot, 'examples', 'pie.toml'), 'utf8');
      writeFileSync(join(host, 'pie.toml'), example);
      const good = spawnSync(taplo, ['check', 'pie.toml'], { cwd: host, encoding: 'utf8' });
      expect(good.status, good.stderr).to.equal(0);
      // The schema really is what checks it: a key the driver does not know fails.
      writeFileSync(join(host, 'pie.toml'), example.replace('lookahead_tokens = 16', 'lookahead_tokenz = 16'));
      const bad = spawnSync(taplo, ['check', 'pie.toml'], { cwd: host, encoding: 'utf8' });
      expect(bad.status).to.equal(1);
      expect(bad.stderr).to.contain('lookahead_tokenz');
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });
});
