import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '../helpers/package-paths.js';
import { runCli } from '../helpers/run-cli.js';
import { greedyContinuation, withDriver } from '../helpers/driver-fixture.js';

/** The interpreter of a Python version: python3.X on PATH when it runs, else the newest under pyenv. */
function interpreterOf(version: string): string | undefined {
  const onPath = spawnSync(`python${version}`, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  if (onPath.status === 0) return onPath.stdout.trim();
  const versions = join(process.env.PYENV_ROOT || join(homedir(), '.pyenv'), 'versions');
  const found = existsSync(versions) ? readdirSync(versions).filter((name) => name.startsWith(`${version}.`)).sort((a, b) => Number(b.split('.')[2]) - Number(a.split('.')[2])) : [];
  const python = found.map((name) => join(versions, name, 'bin', `python${version}`)).find(existsSync);
  return python;
}

// TensorRT-LLM 1.2.1 ships for Python 3.10 and 3.12: the main job runs on both (CI has both).
for (const version of ['3.10', '3.12']) {
  describe(`the main job on Python ${version}`, function () {
    this.timeout(120_000);
    const python = interpreterOf(version);
    const env = { PIE_PYTHON: python ?? '', PIE_HOME: mkdtempSync(join(tmpdir(), 'pie-home-')) };

    before(function () {
      if (!python) throw new Error(`Python ${version} was not found (python${version} on PATH, or under pyenv): the long tests need it`);
    });

    it('generate --simulate decodes the rule\'s tokens', async () => {
      const run = await runCli(['generate', '--config', join(repoRoot, 'examples', 'pie.toml'), '--simulate', '--prompt-tokens', '1,2,3', '--max-tokens', '8', '--json'], { env });
      expect(run.code, run.stderr).to.equal(0);
      expect(JSON.parse(run.stdout).tokens).to.deep.equal(greedyContinuation([1, 2, 3], 8));
    });

    it('doctor --simulate starts the runtime on it and says ready', async () => {
      const run = await runCli(['doctor', '--simulate', '--config', join(repoRoot, 'examples', 'pie.toml'), '--json'], { env });
      const report = JSON.parse(run.stdout) as { ok: boolean; checks: { name: string; status: string; value: string }[] };
      expect(report.ok, run.stdout).to.equal(true);
      const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
      expect(byName.python!.status).to.equal('ok');
      expect(byName.python!.value.startsWith(`${version}.`)).to.equal(true);
      expect(byName['simulated start']!.status).to.equal('ok');
    });

    it('a host\'s create({ simulate: true }) serves, and the conformance kit passes on this package', async () => {
      await withDriver({ env: {}, setup: () => undefined, table: { type: 'tensorrt_llm', device: 'cuda:0', options: { python: python! } } }, async (driver) => {
        const [result] = await driver.forward({ token_ids: [1, 2], position_ids: [0, 1], qo_indptr: [0, 2], context_ids: [1], samplers: [{ type: 'top_p', temperature: 0, p: 1 }], sampler_indptr: [0, 1] });
        expect(result).to.deep.equal({ tokens: greedyContinuation([1, 2], 1) });
      });
      const kit = await runCli(['conformance', repoRoot], { env });
      expect(kit.code, kit.stdout + kit.stderr).to.equal(0);
      expect(kit.stdout.trim().split('\n').at(-1)).to.match(/^✓ conforms: \d+ of \d+ checks passed/);
    });
  });
}
