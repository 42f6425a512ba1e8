import { join } from 'node:path';
import { expect } from 'chai';
import { defineDriverConformance } from '../../src/plugin/conformance/index.js';
import { fixtures, repoRoot } from '../helpers/package-paths.js';
import { runCli } from '../helpers/run-cli.js';

// The published kit, run against this package as any plugin author would run it.
defineDriverConformance({ packageDir: repoRoot });

describe('cli: conformance', function () {
  this.timeout(120_000);

  it('passes on this package', async () => {
    const run = await runCli(['conformance', repoRoot]);
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    expect(run.stderr).to.contain('conforms');
  });

  it('fails on a sloppy plugin (no schema, no create) and names the failures', async () => {
    const run = await runCli(['conformance', join(fixtures, 'plugins', 'sloppy-plugin')]);
    expect(run.code).to.equal(1);
    expect(run.stdout).to.match(/has a type, aliases, schema, validate, create, examples and supports/);
    expect(run.stdout).to.match(/sloppy: schema/);
    expect(run.stdout).to.match(/validate rejects garbage/);
    expect(run.stdout).to.match(/pending|skipped|- starts and reports capabilities/);
    expect(run.stderr).to.match(/✗ \d+ conformance checks failed/);
  });
});
