import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { fixtures, repoRoot } from '../helpers/package-paths.js';

const run = promisify(execFile);

describe('a fresh host project that installs the packed package', function () {
  this.timeout(300_000);
  let host: string;

  before(async () => {
    host = mkdtempSync(join(tmpdir(), 'pie-packed-host-'));
    const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', host], { cwd: repoRoot });
    const tarball = join(host, stdout.trim().split('\n').pop()!);
    writeFileSync(join(host, 'package.json'), JSON.stringify({
      name: 'fresh-host', version: '1.0.0', private: true, type: 'module',
      dependencies: { 'pie-driver-tensorrt-llm': `file:${tarball}`, tsyringe: '^4.10.0', 'reflect-metadata': '^0.2.2' },
    }));
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: host });
    // Broken neighbours beside it, declared like any dependency.
    const pkg = JSON.parse(readFileSync(join(host, 'package.json'), 'utf8'));
    for (const name of ['throwing-register', 'api-99', 'wrong-shape']) {
      symlinkSync(join(fixtures, 'plugins', name), join(host, 'node_modules', name), 'dir');
      pkg.dependencies[name] = '*';
    }
    writeFileSync(join(host, 'package.json'), JSON.stringify(pkg));
  });

  after(() => rmSync(host, { recursive: true, force: true }));

  it('sees tensorrt_llm, tensorrt-llm and trtllm through `list --json`, with broken neighbours skipped', async () => {
    const cli = join(host, 'node_modules', 'pie-driver-tensorrt-llm', 'dist', 'src', 'cli', 'main.js');
    const { stdout } = await run(process.execPath, [cli, 'list', '--json'], { cwd: host });
    const report = JSON.parse(stdout);
    expect(report.loaded).to.have.length(1);
    expect(report.loaded[0].drivers).to.deep.equal([{ type: 'tensorrt_llm', aliases: ['tensorrt-llm', 'trtllm'] }]);
    expect(report.skipped.map((s: { package: string }) => s.package).sort()).to.deep.equal(['api-99', 'throwing-register', 'wrong-shape']);
    expect(report.conflicts).to.deep.equal([]);
  });

  it('ships the schemas, the Python runtime and the example, and no tests', () => {
    const root = join(host, 'node_modules', 'pie-driver-tensorrt-llm');
    for (const file of ['schema/driver.schema.json', 'schema/pie.schema.json', 'python/pie_trtllm_runtime/__main__.py', 'examples/pie.toml', 'dist/src/plugin/plugin.js']) {
      expect(() => readFileSync(join(root, file)), file).not.to.throw();
    }
    expect(() => readFileSync(join(root, 'dist', 'test', 'helpers', 'run-cli.js'))).to.throw();
  });

  it('generates tokens with the installed CLI, discovering the plugin from the host package', async () => {
    const root = join(host, 'node_modules', 'pie-driver-tensorrt-llm');
    const { stdout, stderr } = await run(process.execPath, [join(root, 'dist', 'src', 'cli', 'main.js'), 'generate', '--config', join(root, 'examples', 'pie.toml'), '--simulate', '--prompt-tokens', '1,2', '--max-tokens', '4', '--json'], { cwd: host });
    const result = JSON.parse(stdout);
    expect(result.tokens, stderr).to.have.length(4);
    expect(result).to.include({ simulated: true, engine_calls: 1 });
  });

  it('validates the shipped example with the installed CLI', async () => {
    const cli = join(host, 'node_modules', 'pie-driver-tensorrt-llm', 'dist', 'src', 'cli', 'main.js');
    const { stdout } = await run(process.execPath, [cli, 'validate', join(host, 'node_modules', 'pie-driver-tensorrt-llm', 'examples', 'pie.toml')], { cwd: host });
    expect(stdout).to.contain('valid');
  });
});
