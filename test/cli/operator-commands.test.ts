import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { fixtures, repoRoot } from '../helpers/package-paths.js';
import { runCli } from '../helpers/run-cli.js';
import { greedyContinuation } from '../helpers/driver-fixture.js';

const example = join(repoRoot, 'examples', 'pie.toml');
const tempHome = () => mkdtempSync(join(tmpdir(), 'pie-home-'));
const systemPath = '/usr/local/bin:/usr/bin:/bin';

describe('cli: doctor', function () {
  this.timeout(60_000);

  it('on this machine (no TensorRT-LLM, no MPI, no GPU) reports ✗ with the fixes and exits non-zero', async () => {
    const run = await runCli(['doctor', '--config', example], { env: { PIE_HOME: tempHome() } });
    expect(run.code).to.equal(1);
    expect(run.stdout).to.match(/✓ interpreter +\S+ \(from \$PATH \(which python3\)\)/);
    expect(run.stdout).to.match(/✓ runtime +pie_trtllm_runtime/);
    expect(run.stdout).to.match(/✗ tensorrt_llm +not importable: ModuleNotFoundError/);
    expect(run.stdout).to.match(/✗ mpi .*\n +hint: .*apt-get install -y libopenmpi-dev openmpi-bin/);
    // torch is not installed here: the devices cannot be counted, which is not the same as absent.
    expect(run.stdout).to.match(/! device cuda:0 +not checked: torch does not import, so devices cannot be counted/);
    expect(run.stdout).to.contain('✗ The driver cannot start here');
  });

  it('names a process that already holds a configured GPU, from nvidia-smi, as a warning', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'pie-smi-'));
    // GPU 0 at bus 00000000:1B:00.0 is used by pid 906; GPU 1 by pid 907 (not configured).
    writeFileSync(join(bin, 'nvidia-smi'), `#!/bin/sh
case "$*" in
  *query-gpu*) printf '0, 00000000:1B:00.0\\n1, 00000000:2C:00.0\\n' ;;
  *query-compute-apps*) printf '00000000:1B:00.0, 906, python3, 3590\\n00000000:2C:00.0, 907, python3, 100\\n' ;;
esac
`, { mode: 0o755 });
    const run = await runCli(['doctor', '--config', example], { env: { PIE_HOME: tempHome(), PIE_PYTHON: join(fixtures, 'interpreters', 'ready-python'), PATH: `${bin}:${systemPath}` } });
    expect(run.code, run.stdout).to.equal(0);
    expect(run.stdout).to.contain('! gpu users cuda:0 pid 906 (python3, 3590 MiB)');
    expect(run.stdout).to.contain('hint: a process that belongs to no running replica holds memory on cuda:0; a model loading there may run out of memory. Wait for it to end, or end it: kill 906');
    expect(run.stdout).to.not.contain('907');
  });

  it('with an interpreter whose probe reports everything present exits 0', async () => {
    const run = await runCli(['doctor', '--config', example], { env: { PIE_HOME: tempHome(), PIE_PYTHON: join(fixtures, 'interpreters', 'ready-python') } });
    expect(run.code, run.stdout).to.equal(0);
    expect(run.stdout).to.match(/✓ interpreter +\S+ready-python \(from \$PIE_PYTHON\)/);
    expect(run.stdout).to.match(/✓ tensorrt_llm +1\.2\.1/);
    expect(run.stdout).to.match(/✓ device cuda:0 +NVIDIA H100/);
    expect(run.stdout).to.contain('✓ All checks passed');
  });

  it('warns about another TensorRT-LLM version and fails on a missing device, in JSON', async () => {
    const dir = tempHome();
    const config = join(dir, 'pie.toml');
    writeFileSync(config, readFileSync(example, 'utf8').replace('device = ["cuda:0"]', 'device = ["cuda:0", "cuda:1"]'));
    const run = await runCli(['doctor', '--config', config, '--json'], { env: { PIE_HOME: dir, PIE_PYTHON: join(fixtures, 'interpreters', 'old-trt-python') } });
    expect(run.code).to.equal(1);
    const report = JSON.parse(run.stdout);
    const byName = Object.fromEntries(report.checks.map((c: { name: string }) => [c.name, c]));
    expect(byName.tensorrt_llm).to.include({ status: 'warn', value: '1.1.0 (expected 1.2.1)' });
    expect(byName.tensorrt_llm.hint).to.equal('this driver is built against 1.2.1: LLM(...) may refuse options that moved, and samplers may honour other fields');
    expect(byName['device cuda:1']).to.include({ status: 'fail' });
    expect(byName.python).to.deep.equal({ name: 'python', status: 'ok', value: '3.11.9' }); // TensorRT-LLM imports there
  });

  it('blames a failed simulated start on what failed: a missing module is the environment, not the configuration', async () => {
    const dir = tempHome();
    const config = join(dir, 'pie.toml');
    // Ray places the ranks: the simulated LLM imports ray, which this interpreter lacks.
    writeFileSync(config, `${readFileSync(example, 'utf8')}llm_kwargs = { orchestrator_type = "ray" }\n`);
    const run = await runCli(['doctor', '--simulate', '--config', config, '--json'], { env: { PIE_HOME: dir } });
    const start = (JSON.parse(run.stdout).checks as { name: string; value: string; hint?: string }[]).find((c) => c.name === 'simulated start');
    expect(start?.value).to.match(/^runtime on cuda:0 could not start: ENGINE_IMPORT_FAILED: /);
    expect(start?.hint).to.equal('the interpreter lacks a module this configuration needs (the message names it): install it in that environment');
  });

  it('says a Python outside 3.10 to 3.12 is the fault, before probing it', async () => {
    const run = await runCli(['doctor', '--config', example, '--json'], { env: { PIE_HOME: tempHome(), PIE_PYTHON: join(fixtures, 'interpreters', 'python-3.9') } });
    expect(run.code).to.equal(1);
    const checks = JSON.parse(run.stdout).checks as { name: string }[];
    expect(checks.map((c) => c.name)).to.deep.equal(['config', 'interpreter', 'python']);
    expect(checks[2]).to.deep.equal({
      name: 'python',
      status: 'fail',
      value: '3.9.18 (TensorRT-LLM 1.2.1 runs on 3.10 to 3.12)',
      hint: 'TensorRT-LLM 1.2.1 ships wheels for Python 3.12 and 3.10; make an environment with one: `pie-trtllm install --python 3.12` (or 3.10)',
    });
  });

  it('warns of 3.11 without TensorRT-LLM, and does not call devices missing when torch alone is', async () => {
    const run = await runCli(['doctor', '--simulate', '--config', example, '--json'], { env: { PIE_HOME: tempHome(), PIE_PYTHON: join(fixtures, 'interpreters', 'python-3.11-no-trt') } });
    const byName = Object.fromEntries((JSON.parse(run.stdout).checks as { name: string }[]).map((c) => [c.name, c]));
    expect(byName.python).to.deep.include({ status: 'warn', value: '3.11.7 (TensorRT-LLM 1.2.1 ships no wheel for 3.11; the simulated engine runs)' });
    expect(byName['device cuda:0']).to.deep.equal({
      name: 'device cuda:0',
      status: 'warn',
      value: 'not checked: torch does not import, so devices cannot be counted',
      hint: 'torch comes with TensorRT-LLM: run `pie-trtllm install`',
    });
  });

  it('lists every place it looked when no interpreter resolves', async () => {
    const home = tempHome();
    writeFileSync(join(home, 'drivers.toml'), '[driver.tensorrt_llm]\nvenv = "/nonexistent/venv"\n');
    const run = await runCli(['doctor'], { env: { PIE_HOME: home } });
    expect(run.code).to.equal(1);
    expect(run.stdout).to.match(/✗ interpreter +not found\n +hint: .*drivers\.toml \[driver\.tensorrt_llm\]\.venv \(\/nonexistent\/venv\).*pie-trtllm set venv PATH/);
  });
});

describe('cli: install', function () {
  this.timeout(60_000);

  it('prints the recipe with uv when uv is on PATH, and the set venv line', async () => {
    const run = await runCli(['install', '/opt/envs/trt'], { env: { PATH: `${join(fixtures, 'installers', 'ok')}:${systemPath}` } });
    expect(run.code).to.equal(0);
    expect(run.stdout.split('\n').slice(0, 5)).to.deep.equal([
      '# Recipe for the tensorrt_llm driver (TensorRT-LLM 1.2.1, Python 3.12, found or fetched by uv):',
      '# Requires a system MPI runtime, for example: apt-get install -y libopenmpi-dev openmpi-bin',
      "# For torch's CUDA build add --torch-index https://download.pytorch.org/whl/cu128",
      'uv venv /opt/envs/trt --python 3.12',
      `uv pip install --python /opt/envs/trt/bin/python ${join(repoRoot, 'python')}`,
    ]);
    expect(run.stdout).to.contain('pie-trtllm set venv /opt/envs/trt');
  });

  it('quotes paths for the shell, so a pasted recipe never runs what a path holds', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'pie-quote-'));
    const marker = join(folder, 'ran');
    const venv = join(folder, `env $(touch ${marker}) 'x'`);
    const run = await runCli(['install', venv], { env: { PATH: `${join(fixtures, 'installers', 'ok')}:${systemPath}` } });
    expect(run.code).to.equal(0);
    const setLine = run.stdout.split('\n').find((l) => l.includes('pie-trtllm set venv'))!.trim();
    // The shell reads each printed line back as exactly the words of the recipe, running nothing.
    const { execFileSync } = await import('node:child_process');
    const words = execFileSync('sh', ['-c', `printf '%s\\n' ${setLine.replace('pie-trtllm set venv ', '')}`], { encoding: 'utf8' });
    expect(words).to.equal(`${venv}\n`);
    expect(existsSync(marker), 'the path was executed').to.equal(false);
    rmSync(folder, { recursive: true, force: true });
  });

  it('refuses a venv or python path with a control character, leaving drivers.toml as it was', async () => {
    const home = tempHome();
    const file = join(home, 'drivers.toml');
    writeFileSync(file, '[driver.tensorrt_llm]\nvenv = "/opt/good"\n');
    const run = await runCli(['set', 'venv', '/opt/bad\u001b[31m\nvenv'], { env: { PIE_HOME: home } });
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/control character/);
    expect(run.stderr).to.not.contain('\u001b');
    expect(readFileSync(file, 'utf8')).to.equal('[driver.tensorrt_llm]\nvenv = "/opt/good"\n');
    expect((await runCli(['show'], { env: { PIE_HOME: home } })).stdout).to.contain('/opt/good');
  });

  it('falls back to a supported Python found here, with venv and pip, under $PIE_HOME by default', async () => {
    const home = tempHome();
    const pythons = join(fixtures, 'pythons');
    const noPyenv = { HOME: home, PYENV_ROOT: join(home, 'no-pyenv') };
    // 3.12 first; a pyenv shim of a version not selected is on PATH but does not run, so it is passed over.
    const twelve = await runCli(['install'], { env: { PATH: `${join(pythons, 'shim')}:${join(pythons, 'only-3.12')}:${systemPath}`, PIE_HOME: home, ...noPyenv } });
    expect(twelve.code).to.equal(0);
    expect(twelve.stdout.split('\n')[0]).to.equal(`# Recipe for the tensorrt_llm driver (TensorRT-LLM 1.2.1, Python 3.12 (${join(pythons, 'only-3.12', 'python3.12')})):`);
    expect(twelve.stdout).to.contain(`${join(pythons, 'only-3.12', 'python3.12')} -m venv ${join(home, 'venvs', 'tensorrt_llm')}`);
    expect(twelve.stdout).to.contain(`${join(home, 'venvs', 'tensorrt_llm', 'bin', 'python')} -m pip install ${join(repoRoot, 'python')}`);
    // Ubuntu 22.04: only 3.10.
    const ten = await runCli(['install', '/opt/t'], { env: { PATH: `${join(pythons, 'only-3.10')}:${systemPath}`, ...noPyenv } });
    expect(ten.stdout).to.contain(`${join(pythons, 'only-3.10', 'python3.10')} -m venv /opt/t`);
    // Under pyenv, the newest patch release of the version.
    const pyenv = await runCli(['install', '/opt/t', '--python', '3.10', '--torch-index', 'https://download.pytorch.org/whl/cu128'], { env: { PATH: systemPath, HOME: home, PYENV_ROOT: join(pythons, 'pyenv') } });
    expect(pyenv.stdout).to.contain(`${join(pythons, 'pyenv', 'versions', '3.10.13', 'bin', 'python3.10')} -m venv /opt/t`);
    expect(pyenv.stdout).to.contain(`/opt/t/bin/python -m pip install --extra-index-url https://download.pytorch.org/whl/cu128 ${join(repoRoot, 'python')}`);
  });

  it('says when no supported Python runs here, and refuses a version TensorRT-LLM ships no wheel for', async () => {
    const home = tempHome();
    const env = { PATH: systemPath.split(':').filter((dir) => !dir.includes('pyenv')).join(':'), HOME: home, PYENV_ROOT: join(home, 'none') };
    const shown = await runCli(['install', '/opt/t'], { env });
    expect(shown.code).to.equal(0);
    const none = 'no Python 3.12 or 3.10 runs here (looked for python3.12 and python3.10 on PATH and under pyenv); install one (`pyenv install 3.12`, or Ubuntu 22.04\'s python3.10 with python3.10-venv), install uv, or pass --python PATH';
    expect(shown.stdout.split('\n')[1]).to.equal(`# ! ${none}`);
    const run = await runCli(['install', '/opt/t', '--run'], { env });
    expect(run.code).to.equal(2);
    expect(run.stderr.trim()).to.equal(`error: ${none}`);
    for (const version of ['3.11', '3.13']) {
      const refused = await runCli(['install', '/opt/t', '--python', version], { env });
      expect(refused.code).to.equal(2);
      expect(refused.stderr.trim()).to.equal(`error: TensorRT-LLM 1.2.1 ships wheels for Python 3.12 and 3.10 only, not ${version}; pass --python 3.12 or --python 3.10 (or the path of such an interpreter)`);
    }
  });

  it('--run executes each step with progress, then suggests set venv and doctor', async () => {
    const log = join(tempHome(), 'uv.log');
    const run = await runCli(['install', '/opt/envs/trt', '--run'], { env: { PATH: `${join(fixtures, 'installers', 'ok')}:${systemPath}`, FAKE_UV_LOG: log } });
    expect(run.code, run.stderr).to.equal(0);
    expect(readFileSync(log, 'utf8').trim().split('\n')).to.deep.equal([
      'uv venv /opt/envs/trt --python 3.12',
      `uv pip install --python /opt/envs/trt/bin/python ${join(repoRoot, 'python')}`,
    ]);
    expect(run.stderr).to.match(/✓ \[1\/2\] create the Python 3\.12 environment \(\d+\.\d s\)/);
    expect(run.stderr).to.match(/Installed 42 packages/);
    expect(run.stderr).to.match(/✓ \[2\/2\] install TensorRT-LLM 1\.2\.1 and the runtime/);
    expect(run.stdout).to.contain('pie-trtllm set venv /opt/envs/trt');
    expect(run.stdout).to.contain('pie-trtllm doctor');
  });

  it('--run names the failing step and the installer\'s last line', async () => {
    const run = await runCli(['install', '/opt/envs/trt', '--run'], { env: { PATH: `${join(fixtures, 'installers', 'failing')}:${systemPath}` } });
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/✗ \[2\/2\] install TensorRT-LLM 1\.2\.1 and the runtime/);
    expect(run.stderr).to.contain('error: step 2/2 (install TensorRT-LLM 1.2.1 and the runtime) failed: `uv pip install');
    expect(run.stderr).to.contain('tensorrt-llm==1.2.1 has no wheels for this platform');
  });
});

describe('cli: set, unset, show', function () {
  this.timeout(30_000);

  it('round-trips venv and python in drivers.toml, keeping the rest of the file and its comments', async () => {
    const home = tempHome();
    const file = join(home, 'drivers.toml');
    writeFileSync(file, '# shared settings\n[python]\nvenv = "/opt/py" # for every driver\n\n[driver.vllm]\nvenv = "/opt/vllm"\n');
    const env = { PIE_HOME: home };
    const python = join(fixtures, 'interpreters', 'ready-python');
    let run = await runCli(['set', 'python', python], { env });
    expect(run.code).to.equal(0);
    expect(run.stdout).to.contain(`Set [driver.tensorrt_llm].python in ${file}`);
    expect(run.stdout).to.contain(`python: ${python}`);
    expect(run.stdout).to.contain(`source: ${file} [driver.tensorrt_llm].python`);
    run = await runCli(['set', 'venv', '/opt/trt'], { env });
    expect(run.stderr).to.contain('/opt/trt/bin/python does not exist yet');
    expect(run.stderr, 'the python it replaced is named').to.contain(`! removed python = ${python}: venv and python exclude each other`);
    expect(run.code, 'a venv set before it is installed is written, with a warning').to.equal(0);
    expect(run.stdout.split('\n').filter((l) => l.startsWith('python:')), 'one python: line').to.have.length(1);
    expect(run.stdout).to.contain('set:    venv = /opt/trt ([driver.tensorrt_llm])');
    expect(readFileSync(file, 'utf8')).to.equal('# shared settings\n[python]\nvenv = "/opt/py" # for every driver\n\n[driver.vllm]\nvenv = "/opt/vllm"\n\n[driver.tensorrt_llm]\nvenv = "/opt/trt"\n');
    run = await runCli(['unset', 'venv'], { env });
    expect(run.stdout).to.contain(`Removed [driver.tensorrt_llm].venv from ${file}`);
    expect(readFileSync(file, 'utf8')).to.equal('# shared settings\n[python]\nvenv = "/opt/py" # for every driver\n\n[driver.vllm]\nvenv = "/opt/vllm"\n\n');
    run = await runCli(['show'], { env });
    expect(run.stdout).to.contain('python: NOT RESOLVED');
    expect(run.stdout).to.contain('[python].venv (/opt/py)');
    expect(run.code).to.equal(1);
  });

  it('show --json: the settings and the interpreter they resolve to, or why none does', async () => {
    const home = tempHome();
    const python = join(fixtures, 'interpreters', 'ready-python');
    expect((await runCli(['set', 'python', python], { env: { PIE_HOME: home } })).code).to.equal(0);
    const run = await runCli(['show', '--json'], { env: { PIE_HOME: home } });
    expect(JSON.parse(run.stdout)).to.deep.equal({ ok: true, file: join(home, 'drivers.toml'), exists: true, set: { python }, python, source: `${join(home, 'drivers.toml')} [driver.tensorrt_llm].python` });
    const none = await runCli(['show', '--json'], { env: { PIE_HOME: tempHome(), PATH: mkdtempSync(join(tmpdir(), 'pie-nopath-')), PIE_PYTHON: '', VIRTUAL_ENV: '' } });
    expect(none.code).to.equal(1);
    expect(JSON.parse(none.stdout)).to.include({ ok: false, python: null });
  });

  it('refuses an interpreter given as a venv, naming set python', async () => {
    const home = tempHome();
    const python = join(fixtures, 'interpreters', 'ready-python');
    const run = await runCli(['set', 'venv', python], { env: { PIE_HOME: home } });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.contain(`error: ${python} is a file, not a virtual environment's folder; for an interpreter use \`pie-trtllm set python ${python}\``);
    expect(existsSync(join(home, 'drivers.toml'))).to.equal(false);
  });

  it('refuses a key other than venv or python', async () => {
    const run = await runCli(['set', 'interpreter', '/x'], { env: { PIE_HOME: tempHome() } });
    expect(run.code).to.equal(2);
    expect(run.stderr.trim()).to.equal('error: expected `venv` or `python`, found "interpreter"');
  });
});

describe('cli: generate', function () {
  this.timeout(60_000);

  it('--simulate prints the documented greedy tokens, tokens/s, engine calls and the engine', async () => {
    const run = await runCli(['generate', '--config', example, '--simulate', '--prompt-tokens', '5,6,7', '--max-tokens', '20']);
    expect(run.code, run.stderr).to.equal(0);
    const [tokensLine, summary] = run.stdout.trim().split('\n');
    expect(tokensLine).to.equal(`tokens: ${greedyContinuation([5, 6, 7], 20).join(' ')}`);
    // One streaming request makes 128 tokens (lookahead_stream_tokens); with 108 of them untaken it
    // is not continued. How many steps a decode chain answers ahead depends on how soon the stream's
    // tokens arrived: at most all but the first.
    const match = /^20 tokens in [\d.]+ ms \(\d+ tokens\/s\), 1 engine call, (\d+) steps? answered ahead, engine: simulated TensorRT-LLM 1\.2\.1$/.exec(summary!);
    expect(match, summary).to.not.equal(null);
    expect(Number(match![1])).to.be.at.most(19);
  });

  it('--simulate=auto says in one line that it falls back, and --json prints one object with the run\'s metrics', async () => {
    const run = await runCli(['generate', '--config', example, '--simulate=auto', '--prompt-tokens', '1', '--max-tokens', '3', '--json']);
    expect(run.code, run.stderr).to.equal(0);
    const result = JSON.parse(run.stdout);
    expect(result).to.include({ simulated: true, engine_calls: 1 });
    expect(result.tokens).to.deep.equal(greedyContinuation([1], 3));
    // The run's metrics: 3 forward calls answered, 1 prompt token and 2 fed back in, 3 tokens out.
    const metric = (name: string, attributes: Record<string, string> = {}) =>
      (result.metrics as { name: string; series: { attributes: Record<string, string>; value?: number; count?: number }[] }[])
        .find((m) => m.name === name)!
        .series.find((s) => Object.entries(attributes).every(([k, v]) => s.attributes[k] === v))!;
    expect(metric('pie.driver.requests').value).to.equal(3);
    expect(metric('pie.driver.tokens', { 'gen_ai.token.type': 'input' }).value).to.equal(1 + 2);
    expect(metric('pie.driver.tokens', { 'gen_ai.token.type': 'output' }).value).to.equal(3);
    expect(metric('gen_ai.server.time_to_first_token').count).to.equal(1);
    expect(metric('pie.driver.engine.requests').value).to.equal(result.engine_calls);
    const plain = await runCli(['generate', '--config', example, '--simulate=auto', '--prompt-tokens', '1', '--max-tokens', '1']);
    expect(plain.stderr.split('\n').filter((l) => l.includes('using the simulated TensorRT-LLM'))).to.have.length(1);
  });

  it('samples with a temperature and seed reproducibly where the configured sampler honours seeds', async () => {
    const seeded = join(fixtures, 'config', 'valid', 'trtllm-sampler.toml');
    const args = ['generate', '--config', seeded, '--simulate', '--prompt-tokens', '3,4', '--max-tokens', '5', '--temperature', '0.8', '--seed', '7', '--json'];
    const [a, b] = await Promise.all([runCli(args), runCli(args)]);
    expect(JSON.parse(a.stdout).tokens).to.deep.equal(JSON.parse(b.stdout).tokens);
    expect(JSON.parse(a.stdout)).to.include({ engine_calls: 5, steps_answered_ahead: 0 }); // sampled steps are never answered ahead
  });

  it('never imports Python modules from the working directory it is run from', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'pie-cwd-'));
    const marker = join(folder, 'imported');
    for (const name of ['argparse.py', 'json.py', 'pie_trtllm_runtime.py']) writeFileSync(join(folder, name), `open(${JSON.stringify(marker)}, "w").write("${name}")\n`);
    try {
      const run = await runCli(['generate', '--config', example, '--simulate', '--prompt-tokens', '1,2', '--max-tokens', '2', '--json'], { cwd: folder });
      expect(run.code, run.stderr).to.equal(0);
      expect(JSON.parse(run.stdout).tokens).to.deep.equal(greedyContinuation([1, 2], 2));
      expect(existsSync(marker), 'a module from the working directory was imported').to.equal(false);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('--simulate=auto without any Python says there is nothing to fall back to, in one error and before any load', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'pie-nopath-'));
    const run = await runCli(['generate', '--config', example, '--simulate=auto', '--prompt-tokens', '1', '--max-tokens', '1'], { env: { PATH: empty, PIE_HOME: tempHome(), PIE_PYTHON: '', VIRTUAL_ENV: '' } });
    expect(run.code).to.equal(1);
    expect(run.stderr).to.not.contain('using the simulated TensorRT-LLM');
    expect(run.stderr.trim().split('\n')).to.have.length(1);
    expect(run.stderr).to.match(/^error: no Python interpreter found .*; the simulated TensorRT-LLM runs in that Python runtime too, so there is nothing to fall back to/);
  });

  it('refuses a seed under TensorRT-LLM 1.2.1\'s default sampler, naming the fix, and samples without one', async () => {
    // Refused before the model loads: no loading line, no tokens line.
    const refused = await runCli(['generate', '--config', example, '--simulate', '--prompt-tokens', '3,4', '--max-tokens', '2', '--temperature', '0.8', '--seed', '7']);
    expect(refused.code).to.equal(2);
    expect(refused.stdout).to.equal('');
    expect(refused.stderr).to.equal('error: --seed 7 asks for reproducible sampling, but TensorRT-LLM 1.2.1\'s TorchSampler (llm_kwargs.sampler_type = "auto") draws every request from one shared generator; drop --seed, or set llm_kwargs.sampler_type = "TRTLLMSampler" in [model.driver.options]\n');
    const json = await runCli(['generate', '--config', example, '--simulate', '--prompt-tokens', '3,4', '--max-tokens', '2', '--temperature', '0.8', '--seed', '7', '--json']);
    expect(JSON.parse(json.stdout).error.code).to.equal('UNSUPPORTED_SAMPLER');
    const unseeded = await runCli(['generate', '--config', example, '--simulate', '--prompt-tokens', '3,4', '--max-tokens', '3', '--temperature', '0.8', '--json']);
    expect(unseeded.code, unseeded.stderr).to.equal(0);
    expect(JSON.parse(unseeded.stdout).tokens).to.have.length(3);
  });

  it('answers in JSON on errors too with --json, and names the invoked command in help', async () => {
    const run = await runCli(['generate', '--config', example, '--simulate', '--prompt-tokens', '1', '--max-tokens', '99999', '--json']);
    expect(run.code).to.equal(2);
    expect(JSON.parse(run.stdout)).to.deep.include({ ok: false });
    expect(JSON.parse(run.stdout).error.message).to.match(/the model holds 2048/);
    const outside = mkdtempSync(join(tmpdir(), 'pie-nopkg-'));
    const list = await runCli(['list', '--json'], { cwd: outside });
    expect(list.code).to.equal(1);
    expect(JSON.parse(list.stdout).error).to.include({ code: 'HOST_PACKAGE_UNREADABLE' });
    expect(JSON.parse(list.stdout).error.message).to.match(/package\.json does not exist; run this in the host package's folder/);
    const broken = mkdtempSync(join(tmpdir(), 'pie-badpkg-'));
    writeFileSync(join(broken, 'package.json'), '{ not json');
    const plain = await runCli(['list'], { cwd: broken });
    expect(plain.code).to.equal(1);
    expect(plain.stderr).to.match(/package\.json cannot be read as JSON/);
    expect(plain.stderr).not.to.match(/\n\s+at /);
    // A listing says where it looked: devDependencies are not searched.
    const here = await runCli(['list'], { cwd: repoRoot });
    expect(here.stderr).to.contain(`(searched: the dependencies and optionalDependencies of the package in ${repoRoot}, and the package itself; devDependencies are not searched)`);
    const doctor = await runCli(['doctor', '--model', 'm']);
    expect(doctor.code).to.equal(2);
    expect(doctor.stderr).to.contain('--model picks a [[model]] of a pie.toml: give the file with --config FILE');
    const help = await runCli(['--help']);
    expect(help.stdout).to.match(/^Usage: pie-trtllm /);
  });

  it('gives one-line errors with the fix for bad input', async () => {
    const cases: [string[], number, RegExp][] = [
      [['--prompt-tokens', '1,x', '--max-tokens', '2'], 2, /--prompt-tokens must be comma-separated non-negative integers/],
      [['--prompt-tokens', '1', '--max-tokens', '0'], 2, /--max-tokens must be a positive integer/],
      [['--prompt-tokens', '1', '--max-tokens', '2', '--model', 'nope'], 2, /no tensorrt_llm model named "nope"/],
      [['--prompt-tokens', '1,2', '--max-tokens', '5000'], 2, /2 prompt tokens and --max-tokens 5000 need 5001 positions, but the model holds 2048; ask for at most 2047 tokens/],
      [['--prompt-tokens', '1', '--max-tokens', '2', '--temperature', '-1'], 2, /--temperature must be a number ≥ 0/],
    ];
    for (const [args, code, message] of cases) {
      const run = await runCli(['generate', '--config', example, '--simulate', ...args]);
      expect(run.code, args.join(' ')).to.equal(code);
      expect(run.stderr).to.match(message);
      expect(run.stderr).not.to.match(/\n\s+at /);
    }
    const invalid = await runCli(['generate', '--config', join(fixtures, 'config', 'invalid', 'venv-number.toml'), '--simulate', '--prompt-tokens', '1', '--max-tokens', '1']);
    expect(invalid.code).to.equal(1);
    expect(invalid.stderr).to.contain('model[0].driver.options.venv: expected a string');
    const noVenv = await runCli(['generate', '--config', join(fixtures, 'config', 'valid', 'all-options.toml'), '--prompt-tokens', '1', '--max-tokens', '1']);
    expect(noVenv.code).to.equal(1);
    expect(noVenv.stderr).to.match(/^error: \[INTERPRETER_NOT_FOUND\] \[model\.driver\.options\]\.venv \(\/opt\/venv\): \/opt\/venv\/bin\/python is not an executable interpreter; create it with `pie-trtllm install \/opt\/venv`/);
  });
});
