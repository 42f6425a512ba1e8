import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

  it('lists problems in line order and warns about a driver type one typo away from ours', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'pie-validate-'));
    const file = join(folder, 'pie.toml');
    writeFileSync(file, '[[model]]\nname = "a"\nhf_repo = "x/y"\n\n[model.driver]\ntype = "tensorrt_llm"\ndevice = "cuda:0"\n\n[model.driver.options]\nmax_session_histories = 0\nlookahead_tokens = 99\n\n[[model]]\nname = "b"\nhf_repo = "x/z"\n\n[model.driver]\ntype = "trtlm"\ndevice = "cuda:1"\n');
    const run = await runCli(['validate', file]);
    expect(run.code).to.equal(1);
    const lines = run.stdout.trim().split('\n').map((l) => Number(/:(\d+)\)$/.exec(l)![1]));
    expect(lines).to.deep.equal([...lines].sort((a, b) => a - b));
    expect(run.stderr).to.contain('warning: model[1].driver.type: "trtlm" is not a driver type of this package; did you mean "trtllm"?');
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
      expect(run.stdout).to.match(/^Usage: pie-trtllm /); // the name it was invoked by (the built main.js stands for pie-trtllm)
    }
  });
});
