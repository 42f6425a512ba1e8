import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { InterpreterResolver } from '../../src/runtime/interpreter-resolver.js';
import { fixtures } from '../helpers/package-paths.js';
import { runCli } from '../helpers/run-cli.js';
import { findOnPath } from '../../src/runtime/executable-lookup.js';

const scratch = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

/** A folder holding pie.toml with `options.venv = "env"` and env/bin/python as `python`. */
function configWithRelativeVenv(python: string, link: boolean): string {
  const dir = scratch('pie-relvenv-');
  mkdirSync(join(dir, 'env', 'bin'), { recursive: true });
  if (link) symlinkSync(python, join(dir, 'env', 'bin', 'python'));
  else copyFileSync(python, join(dir, 'env', 'bin', 'python'));
  writeFileSync(join(dir, 'pie.toml'), '[[model]]\nname = "m"\nhf_repo = "sim/m"\n[model.driver]\ntype = "tensorrt_llm"\ndevice = "cuda:0"\n[model.driver.options]\nvenv = "env"\n');
  return dir;
}

describe('a relative venv or python is taken once from the file that set it', function () {
  this.timeout(60_000);
  const elsewhere = scratch('pie-cwd-'); // run from a folder that holds no env/
  const clean = { PIE_PYTHON: '', VIRTUAL_ENV: '', PIE_HOME: scratch('pie-home-') };

  it('doctor run from another folder checks the venv beside pie.toml, and names it absolutely', async () => {
    const dir = configWithRelativeVenv(join(fixtures, 'interpreters', 'ready-python'), false);
    const run = await runCli(['doctor', '--config', join(dir, 'pie.toml'), '--json'], { cwd: elsewhere, env: clean });
    const check = (JSON.parse(run.stdout) as { checks: { name: string; status: string; value: string }[] }).checks.find((c) => c.name === 'interpreter')!;
    expect(check).to.deep.equal({ name: 'interpreter', status: 'ok', value: `${join(dir, 'env', 'bin', 'python')} (from [model.driver.options].venv (env, relative to ${dir}))` });
  });

  it('generate run from another folder starts the runtime with that same interpreter (--simulate=auto: no fallback to another python)', async () => {
    const dir = configWithRelativeVenv(findOnPath('python3')!, true);
    const run = await runCli(['generate', '--config', join(dir, 'pie.toml'), '--simulate=auto', '--prompt-tokens', '1,2,3', '--max-tokens', '2', '--json'], { cwd: elsewhere, env: clean });
    expect(run.code, run.stderr).to.equal(0);
  });

  it('drivers.toml paths are taken from its folder, $PIE_PYTHON from the working directory; what is checked is absolute', () => {
    const home = scratch('pie-home-');
    mkdirSync(join(home, 'env', 'bin'), { recursive: true });
    copyFileSync(join(fixtures, 'interpreters', 'ready-python'), join(home, 'env', 'bin', 'python'));
    writeFileSync(join(home, 'drivers.toml'), '[driver.tensorrt_llm]\nvenv = "env"\n');
    expect(new InterpreterResolver({ PIE_HOME: home, PATH: '' }).resolve({})).to.deep.equal({
      python: join(home, 'env', 'bin', 'python'),
      source: `${join(home, 'drivers.toml')} [driver.tensorrt_llm].venv (env, relative to ${home})`,
    });
    const library = new InterpreterResolver({ PIE_HOME: scratch('pie-home-'), PATH: '' }).resolve({ python: 'env/bin/python', base: home });
    expect(library.python).to.equal(join(home, 'env', 'bin', 'python'));
  });
});
