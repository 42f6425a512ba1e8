import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { fixtures } from '../helpers/package-paths.js';
import { runCli } from '../helpers/run-cli.js';
import { greedyContinuation } from '../helpers/driver-fixture.js';

/** A pie.toml with one TensorRT-LLM model whose [model.driver] has `driver` (TOML lines). */
function config(driver: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pie-doctor-'));
  writeFileSync(join(dir, 'pie.toml'), `[[model]]\nname = "big"\nhf_repo = "org/big"\n\n[model.driver]\ntype = "tensorrt_llm"\n${driver}\n`);
  return join(dir, 'pie.toml');
}

const checksOf = (stdout: string) => Object.fromEntries((JSON.parse(stdout) as { checks: { name: string; status: string; value: string }[] }).checks.map((c) => [c.name, c]));

describe('cli: doctor for models larger than one GPU', function () {
  this.timeout(60_000);
  const env = { PIE_PYTHON: join(fixtures, 'interpreters', 'cluster-python') };

  it('lists the replicas and their ranks, and checks every device of every group', async () => {
    const file = config('device = ["cuda:0", "cuda:1", "cuda:2", "cuda:3"]\ntensor_parallel_size = 2');
    const run = await runCli(['doctor', '--config', file, '--json'], { env: { ...env, PIE_HOME: join(file, '..') } });
    expect(run.code, run.stdout).to.equal(1); // this machine has 2 of the 4 GPUs
    const checks = checksOf(run.stdout);
    expect(checks.parallel).to.deep.equal({ name: 'parallel', status: 'ok', value: '2 replicas of 2 ranks (tensor 2 × pipeline 1): cuda:0,cuda:1 | cuda:2,cuda:3, started through MPI' });
    expect([checks['device cuda:1'].status, checks['device cuda:2'].status, checks['device cuda:3'].status]).to.deep.equal(['ok', 'fail', 'fail']);
    expect(checks).not.to.have.property('ray');
  });

  it('with the Ray orchestrator checks that ray imports and leaves device placement to the cluster', async () => {
    const file = config('device = ["cuda:0", "cuda:1", "cuda:2", "cuda:3"]\ntensor_parallel_size = 4\n\n[model.driver.options]\nllm_kwargs = { orchestrator_type = "ray", gpus_per_node = 2 }');
    const run = await runCli(['doctor', '--config', file, '--json'], { env: { ...env, PIE_HOME: join(file, '..') } });
    expect(run.code, run.stdout).to.equal(0);
    const checks = checksOf(run.stdout);
    expect(checks.ray).to.deep.equal({ name: 'ray', status: 'ok', value: 'ray 2.49.0' });
    expect(checks.parallel.value).to.equal('1 replica of 4 ranks (tensor 4 × pipeline 1): cuda:0,cuda:1,cuda:2,cuda:3, placed by Ray');
    expect(Object.keys(checks).filter((name) => name.startsWith('device '))).to.deep.equal([]);
  });

  it('fails with the fix when Ray is asked for and does not import', async () => {
    const file = config('device = ["cuda:0", "cuda:1"]\ntensor_parallel_size = 2\n\n[model.driver.options]\nllm_kwargs = { orchestrator_type = "ray" }');
    const run = await runCli(['doctor', '--config', file], { env: { PIE_HOME: join(file, '..'), PIE_PYTHON: join(fixtures, 'interpreters', 'ready-python') } });
    expect(run.code).to.equal(1);
    expect(run.stdout).to.match(/✗ ray +not importable: the probe did not try\n +hint: install Ray in the TensorRT-LLM environment \(pip install 'ray\[default\]'\)/);
  });
});

describe('cli: generate on tensor-parallel groups', function () {
  this.timeout(60_000);

  it('names the groups it loads and decodes the rule\'s tokens through them', async () => {
    const file = config('device = ["cuda:0", "cuda:1", "cuda:2", "cuda:3"]\ntensor_parallel_size = 2');
    const run = await runCli(['generate', '--config', file, '--simulate', '--prompt-tokens', '1,2,3', '--max-tokens', '4'], { env: { PIE_HOME: join(file, '..') } });
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr + run.stdout).to.contain('loading big on cuda:0,cuda:1 | cuda:2,cuda:3 (2 replicas of 2 ranks) (simulated)');
    expect(run.stdout).to.contain(`tokens: ${greedyContinuation([1, 2, 3], 4).join(' ')}`);
  });
});
