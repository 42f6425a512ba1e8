import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { repoRoot } from '../helpers/package-paths.js';
import { greedyContinuation } from '../helpers/driver-fixture.js';

const run = promisify(execFile);

describe('an install from git, as the README says (npm install git+<url> tsyringe reflect-metadata)', function () {
  this.timeout(600_000);
  let folder: string;

  before(async () => {
    folder = mkdtempSync(join(tmpdir(), 'pie-git-install-'));
    // What is committed, as a remote would serve it.
    await run('git', ['clone', '--quiet', '--depth', '1', `file://${repoRoot}`, join(folder, 'repo')]);
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'git-host', version: '1.0.0', private: true, type: 'module' }));
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', `git+file://${join(folder, 'repo')}`, 'tsyringe', 'reflect-metadata'], { cwd: folder });
  });

  after(() => rmSync(folder, { recursive: true, force: true }));

  it('installs a built package: dist and the pie-trtllm command are there, and the main job runs', async () => {
    const root = join(folder, 'node_modules', 'pie-driver-tensorrt-llm');
    expect(existsSync(join(root, 'dist', 'src', 'plugin', 'plugin.js')), 'dist/src/plugin/plugin.js').to.equal(true);
    const bin = join(folder, 'node_modules', '.bin', 'pie-trtllm');
    expect((await run(bin, ['--version'], { cwd: folder })).stdout.trim()).to.match(/^\d+\.\d+\.\d+$/);
    const { stdout } = await run(bin, ['generate', '--config', join(root, 'examples', 'pie.toml'), '--simulate', '--prompt-tokens', '1,2', '--max-tokens', '4', '--json'], { cwd: folder });
    expect(JSON.parse(stdout).tokens).to.deep.equal(greedyContinuation([1, 2], 4));
  });
});
