import { join } from 'node:path';
import { expect } from 'chai';
import { fixtures, repoRoot } from '../helpers/package-paths.js';
import { runCli } from '../helpers/run-cli.js';

describe('cli: validate and schema', () => {
  it('exits 0 on the shipped example', async () => {
    const run = await runCli(['validate', join(repoRoot, 'examples', 'pie.toml')]);
    expect(run.code).to.equal(0);
    expect(run.stdout).to.match(/valid \(1 model served by tensorrt_llm: qwen3-0\.6b\)/);
  });

  it('exits 1 with one `path: message` line per problem', async () => {
    const file = join(fixtures, 'config', 'invalid', 'lookahead-17.toml');
    const run = await runCli(['validate', file]);
    expect(run.code).to.equal(1);
    expect(run.stdout.trim().split('\n')).to.deep.equal([
      `model[0].driver.options.lookahead_tokens: expected an integer ≥ 0 and ≤ 16, found the integer 17 (${file}:11)`,
    ]);
    expect(run.stderr).to.equal('');
  });

  it('prints a JSON report with --json', async () => {
    const run = await runCli(['validate', '--json', join(fixtures, 'config', 'invalid', 'unknown-option.toml')]);
    expect(run.code).to.equal(1);
    const report = JSON.parse(run.stdout);
    expect(report.valid).to.equal(false);
    expect(report.problems[0]).to.include({ path: 'model[0].driver.options.lookahed_tokens', line: 11 });
    expect(report.problems[0].message).to.contain('did you mean `lookahead_tokens`');
  });

  it('exits 2 with one line for a missing file or a TOML syntax error, never a stack trace', async () => {
    const missing = await runCli(['validate', '/nonexistent/pie.toml']);
    expect(missing.code).to.equal(2);
    expect(missing.stderr.trim()).to.equal('error: /nonexistent/pie.toml: cannot read the configuration: no such file (check the path)');
    const broken = await runCli(['validate', join(fixtures, 'broken.toml')]);
    expect(broken.code).to.equal(2);
    expect(broken.stderr).to.match(/broken\.toml:\d+:\d+: TOML syntax error/);
    expect(broken.stderr).not.to.match(/\n\s+at /);
  });

  it('prints schema paths', async () => {
    expect((await runCli(['schema'])).stdout.trim()).to.equal(join(repoRoot, 'schema', 'driver.schema.json'));
    expect((await runCli(['schema', '--root'])).stdout.trim()).to.equal(join(repoRoot, 'schema', 'pie.schema.json'));
  });

  it('answers --help for every command', async () => {
    for (const command of ['validate', 'schema']) {
      const run = await runCli([command, '--help']);
      expect(run.code, command).to.equal(0);
      expect(run.stdout).to.match(/^Usage: pie-driver-tensorrt-llm /);
    }
  });
});
