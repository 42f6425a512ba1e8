import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { defineDriverConformance } from '../../src/plugin/conformance/index.js';
import { processEntry } from '../../src/runtime/process-tree.js';
import { fixtures, repoRoot } from '../helpers/package-paths.js';
import { runCli } from '../helpers/run-cli.js';

// The published kit, run against this package as any plugin author would run it.
defineDriverConformance({ packageDir: repoRoot });

describe('cli: conformance', function () {
  this.timeout(120_000);

  it('passes on this package', async () => {
    const run = await runCli(['conformance', repoRoot]);
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    expect(run.stdout.trim().split('\n').at(-1)).to.equal('✓ conforms: 12 of 12 checks passed');
  });

  it('fails on a sloppy plugin (no schema, no create) with one line per failed check naming what was expected and the fix', async () => {
    const run = await runCli(['conformance', join(fixtures, 'plugins', 'sloppy-plugin')]);
    expect(run.code).to.equal(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines).to.include('✗ has a type, aliases, schema, validate, create, examples and supports: expected sloppy: schema, a JSON Schema object, found nothing; fix: give the draft-07 JSON Schema of the [model.driver] table');
    expect(lines.filter((l) => l.startsWith('✗ ') && !l.startsWith('✗ 3 of')).every((l) => /: expected .+, found .+; fix: .+/.test(l))).to.equal(true);
    expect(lines).to.include('- starts and reports capabilities (skipped: supports.start is false (this machine cannot start the driver))');
    expect(lines.at(-1)).to.equal('✗ 3 of 12 conformance checks failed (4 skipped)');
    expect(run.stdout + run.stderr).not.to.match(/\n\s+at |AssertionError|\+ expected/);
  });

  it('cannot be fooled by a register() that registers nothing: the driver checks skip saying so, the registration check fails', async () => {
    const run = await runCli(['conformance', join(fixtures, 'plugins', 'empty-register-plugin')]);
    expect(run.code).to.equal(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('✓ '))).to.have.length(3); // the three manifest checks only
    expect(lines).to.include('✗ registers at least one driver into a fresh child container and leaves the global container untouched: expected at least one driver registered, found none; fix: call registry.register(descriptor, owner) in register(container)');
    const skipped = lines.filter((l) => l.startsWith('- '));
    expect(skipped).to.have.length(8);
    expect(skipped.every((l) => l.endsWith('(skipped: register(container) registered no driver (see the registration check))'))).to.equal(true);
    expect(run.stdout).to.not.contain('supports.start is false');
  });

  it('cannot be fooled by status(): a process the driver started and did not end is found and named', async () => {
    const run = await runCli(['conformance', join(fixtures, 'plugins', 'leaky-plugin')]);
    const line = run.stdout.split('\n').find((l) => l.startsWith('✗ dispose leaves no process behind'));
    const leaked = /found pid (\d+) \(sleep 60\)/.exec(line ?? '');
    if (leaked) {
      try {
        process.kill(Number(leaked[1]), 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
    expect(run.code).to.equal(1);
    expect(line).to.match(/^✗ dispose leaves no process behind: expected no process started by the driver left after dispose\(\), found pid \d+ \(sleep 60\), ended by the kit; fix: stop every process the driver started \(status\(\) need not list them\), then force them$/);
    expect(run.stdout.trim().split('\n').at(-1)).to.equal('✗ 1 of 12 conformance checks failed');
  });

  it('cannot be fooled by a daemon: a process start() left in a session of its own, reparented to init, is found, named and ended', async () => {
    const run = await runCli(['conformance', join(fixtures, 'plugins', 'detached-plugin')]);
    const line = run.stdout.split('\n').find((l) => l.startsWith('✗ dispose leaves no process behind'));
    expect(line).to.match(/found pid \d+ \(sleep 61\), ended by the kit; fix: /);
    const pid = Number(/found pid (\d+)/.exec(line!)![1]);
    expect(processEntry(pid), 'the daemon was ended').to.equal(undefined);
    expect(run.code).to.equal(1);
  });

  it('cannot be fooled by a plugin that ends the test process: every check that never reported fails, and so does the run', async () => {
    const run = await runCli(['conformance', join(fixtures, 'plugins', 'exiting-plugin')]);
    expect(run.code).to.equal(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('✓ '))).to.deep.equal([]);
    expect(lines.filter((l) => l.endsWith(': never reported: the test process ended before this check finished (a plugin that calls process.exit, or a crash)'))).to.have.length(12);
    expect(lines.at(-1)).to.equal('✗ 12 of 12 conformance checks failed');
    const json = await runCli(['conformance', '--json', join(fixtures, 'plugins', 'exiting-plugin')]);
    expect(json.code).to.equal(1);
    expect(JSON.parse(json.stdout)).to.include({ ok: false, passed: 0, failed: 12 });
  });

  it('cannot be fooled by a write to the global container other than the registry: it is named', async () => {
    const run = await runCli(['conformance', join(fixtures, 'plugins', 'global-plugin')]);
    expect(run.code).to.equal(1);
    expect(run.stdout).to.contain('✗ registers at least one driver into a fresh child container and leaves the global container untouched: expected the global container left alone by the plugin module and register(), found register("global-plugin.Cache"); fix: ');
  });

  it('ends in the time it is given, whatever the plugin holds open, and ends what the run started', async () => {
    const started = Date.now();
    const run = await runCli(['conformance', '--timeout', '3', join(fixtures, 'plugins', 'hanging-plugin')]);
    expect(Date.now() - started).to.be.below(15_000);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.contain('✗ the conformance run did not end within 3 s (a check that hangs, or a process the plugin started holding the run\'s output open); it was ended.');
    const sleeping = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.trim() === 'sleep 300');
    expect(sleeping, 'the helper that held the output').to.deep.equal([]);
    for (const bad of ['0', '-1', 'x', '86401']) {
      const refused = await runCli(['conformance', '--timeout', bad, join(fixtures, 'plugins', 'hanging-plugin')]);
      expect(refused.code, bad).to.equal(2);
      expect(refused.stderr).to.contain(`--timeout must be a number of seconds above 0 and at most 86400, found ${JSON.stringify(bad)}`);
    }
  });

  it('with --json prints one JSON report with the same verdicts as the lines', async () => {
    const run = await runCli(['conformance', '--json', join(fixtures, 'plugins', 'sloppy-plugin')]);
    expect(run.code).to.equal(1);
    const report = JSON.parse(run.stdout);
    expect([report.ok, report.passed + report.failed + report.skipped, report.failed, report.skipped]).to.deep.equal([false, 12, 3, 4]);
    expect(report.checks).to.deep.include({ name: 'starts and reports capabilities', status: 'skipped', reason: 'skipped: supports.start is false (this machine cannot start the driver)' });
    expect(report.checks.find((c: { status: string }) => c.status === 'failed').reason).to.match(/^expected .+, found .+; fix: .+/);
  });

  it('stops the checks that need register when it is missing, instead of failing each of them', async () => {
    const run = await runCli(['conformance', join(fixtures, 'plugins', 'no-register-plugin')]);
    expect(run.code).to.equal(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('✗ ')).slice(0, -1)).to.deep.equal([
      '✗ package.json has the keywords pie-plugin and pie-driver: expected the keywords pie-plugin and pie-driver, found keywords ["pie-plugin"]; fix: add "pie-driver" to "keywords" in package.json',
      '✗ the plugin module default-exports { apiVersion: 1, name, register(container) }: expected register(container), a function, found nothing; fix: export default { ..., register(container) { container.resolve(DRIVER_REGISTRY).register(descriptor, name) } }',
    ]);
    expect(lines.filter((l) => l.startsWith('- '))).to.have.length(9);
    expect(lines.filter((l) => l.startsWith('- ')).every((l) => l.includes('the plugin module has no register(container) function'))).to.equal(true);
  });

  it('names the valid features when supports.rejects lists one the kit does not know', async () => {
    const run = await runCli(['conformance', join(fixtures, 'plugins', 'unknown-reject-plugin')]);
    expect(run.code).to.equal(1);
    expect(run.stdout).to.contain('✗ has a type, aliases, schema, validate, create, examples and supports: expected lora_driver: supports.rejects features among adapter, probe, logit_mask, attention_mask, speculation, multimodal, found "lora"; fix: name one of those features, with the code your driver answers');
  });
});
