import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { processOutput } from '../../src/cli/output.js';
import { FileReadRefusal, readRegularFile } from '../../src/config/bounded-file.js';
import { cliPath, repoRoot } from '../helpers/package-paths.js';
import { runCli } from '../helpers/run-cli.js';

const example = join(repoRoot, 'examples', 'pie.toml');
const scratch = () => mkdtempSync(join(tmpdir(), 'pie-hostile-'));
const header = '[[model]]\nname = "m"\nhf_repo = "sim/m"\n[model.driver]\ntype = "trtllm"\ndevice = "cuda:0"\n';

describe('cli: hostile files and streams', function () {
  this.timeout(60_000);

  it('ends quietly when its reader stops reading (| head)', async () => {
    // 200 problems, far more than one pipe buffer of lines, read one line and closed.
    const dir = scratch();
    const file = join(dir, 'pie.toml');
    writeFileSync(file, Array.from({ length: 200 }, (_, i) => `${header.replace('"m"', `"m${i}"`).replace('cuda:0', `cuda:${i}`)}[model.driver.options]\nbogus_${'x'.repeat(2000)} = 1\n`).join(''));
    const child = spawn(process.execPath, [cliPath, 'validate', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).to.not.match(/EPIPE|at .*\.js:\d+/);
    expect(code, 'the exit code of validate on an invalid file').to.equal(1);
  });

  it('refuses UTF-16 and bytes that are not UTF-8, naming the file and line; a UTF-8 byte-order mark is read', async () => {
    const dir = scratch();
    const text = `${header}`;
    const bom = join(dir, 'bom.toml');
    writeFileSync(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    expect((await runCli(['validate', bom])).code).to.equal(0);
    const utf16 = join(dir, 'utf16.toml');
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const sixteen = await runCli(['validate', utf16]);
    expect(sixteen.code).to.equal(2);
    expect(sixteen.stderr).to.contain(`${utf16}: cannot read the configuration: it is UTF-16 text; TOML files are UTF-8`);
    const latin1 = join(dir, 'latin1.toml');
    writeFileSync(latin1, Buffer.concat([Buffer.from(`${header}[model.driver.options]\n# caf`), Buffer.from([0xe9]), Buffer.from('\n')]));
    const invalid = await runCli(['validate', latin1]);
    expect(invalid.code).to.equal(2);
    expect(invalid.stderr).to.contain(`${latin1}: cannot read the configuration: line 8 holds bytes that are not UTF-8`);
  });

  it('reports a problem under a quoted key holding a dot at that key\'s line, and shows control characters in keys escaped', async () => {
    const dir = scratch();
    const file = join(dir, 'pie.toml');
    writeFileSync(file, `${header}[model.driver.options]\nmax_seq_len = 128\n"a.b" = 1\n"c\u0085\u2028d" = 2\n`);
    const run = await runCli(['validate', file]);
    expect(run.code).to.equal(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).to.match(/^model\[0\]\.driver\.options\."a\.b": unknown key; .* \(.*pie\.toml:9\)$/);
    expect(lines[1]).to.match(/^model\[0\]\.driver\.options\."c\\u0085\\u2028d": unknown key; .* \(.*pie\.toml:10\)$/);
    expect(run.stdout).to.not.match(/[\u0085\u2028]/);
  });

  it('refuses a device, a pipe or an oversized file for pie.toml and drivers.toml at once, saying what it is, through every command that reads one', async () => {
    const refusedAs = (run: { code: number | null; stderr: string }, file: string, what: string) => {
      expect(run.code, run.stderr).to.be.oneOf([1, 2]);
      expect(run.stderr).to.contain(`${file}: cannot read the configuration: ${what}`);
    };
    // /dev/zero never ends: read whole, it grew the process until the machine ran out.
    for (const device of ['/dev/zero', '/dev/urandom']) {
      refusedAs(await runCli(['validate', device], { timeoutMs: 20_000 }), device, 'it is a character device (such as /dev/zero), not a file');
    }
    const dir = scratch();
    const fifo = join(dir, 'pipe.toml');
    execFileSync('mkfifo', [fifo]);
    refusedAs(await runCli(['validate', fifo], { timeoutMs: 20_000 }), fifo, 'it is a named pipe, not a file'); // no writer: not waited on
    // drivers.toml linked to a device, through show, generate and serve.
    const home = scratch();
    symlinkSync('/dev/zero', join(home, 'drivers.toml'));
    const drivers = join(home, 'drivers.toml');
    refusedAs(await runCli(['show'], { env: { PIE_HOME: home }, timeoutMs: 20_000 }), drivers, 'it is a character device');
    refusedAs(await runCli(['generate', '--config', example, '--prompt-tokens', '1,2', '--max-tokens', '1'], { env: { PIE_HOME: home, PIE_PYTHON: '', VIRTUAL_ENV: '' }, timeoutMs: 20_000 }), drivers, 'it is a character device');
    refusedAs(await runCli(['serve', '--stdio', '--config', example], { env: { PIE_HOME: home, PIE_PYTHON: '', VIRTUAL_ENV: '' }, timeoutMs: 20_000 }), drivers, 'it is a character device');
    // 8 MiB is the cap: a file one byte past it is called oversized (it was "bytes that are not UTF-8").
    const big = join(dir, 'big.toml');
    writeFileSync(big, Buffer.alloc(8 * 1024 * 1024 + 1, 0x20));
    refusedAs(await runCli(['validate', big]), big, 'it is 8388609 bytes, above the 8 MiB a configuration file may hold; a pie.toml or drivers.toml is a few kilobytes');
  });

  it('reads a file of exactly the cap, and refuses one byte more, however the file is reached', () => {
    const dir = scratch();
    const file = join(dir, 'f');
    writeFileSync(file, Buffer.alloc(1000, 0x61));
    expect(readRegularFile(file, 1000).length).to.equal(1000);
    expect(() => readRegularFile(file, 999)).to.throw(FileReadRefusal, 'it is 1000 bytes, above the');
    symlinkSync(file, join(dir, 'link'));
    expect(readRegularFile(join(dir, 'link'), 1000).length).to.equal(1000);
    expect(() => readRegularFile(dir, 1000)).to.throw(FileReadRefusal, 'it is a directory, not a file');
  });

  it('names the path of a drivers.toml that is a directory, and of a PIE_HOME that is a file', async () => {
    const home = scratch();
    mkdirSync(join(home, 'drivers.toml'));
    const directory = await runCli(['show'], { env: { PIE_HOME: home } });
    expect(directory.code).to.equal(1);
    expect(directory.stderr).to.contain(`${join(home, 'drivers.toml')}: cannot read the configuration: it is a directory, not a file`);
    const file = join(scratch(), 'home-file');
    writeFileSync(file, '');
    const set = await runCli(['set', 'venv', '/opt/venv'], { env: { PIE_HOME: file } });
    expect(set.code).to.equal(1);
    expect(set.stderr).to.contain(`${join(file, 'drivers.toml')}: cannot read the configuration: a folder on its path is a file`);
    expect(set.stderr).to.not.contain('EEXIST');
  });

  it('refuses an empty path for set, and keeps a symlinked drivers.toml a symlink', async () => {
    const home = scratch();
    const empty = await runCli(['set', 'venv', ''], { env: { PIE_HOME: home } });
    expect(empty.code).to.equal(2);
    expect(empty.stderr).to.contain('venv needs a path, found an empty one (to remove the setting: pie-trtllm unset venv)');
    const shared = join(scratch(), 'shared-drivers.toml');
    writeFileSync(shared, '# shared\n');
    symlinkSync(shared, join(home, 'drivers.toml'));
    expect((await runCli(['set', 'venv', '/opt/venv'], { env: { PIE_HOME: home } })).code).to.equal(0);
    expect(lstatSync(join(home, 'drivers.toml')).isSymbolicLink()).to.equal(true);
    expect(readFileSync(shared, 'utf8')).to.contain('venv = "/opt/venv"');
  });

  it('doctor --simulate says ready only of a configuration whose simulated runtime starts', async () => {
    const dir = scratch();
    const file = join(dir, 'pie.toml');
    // Valid by the schema (llm_kwargs is open), refused by LLM(...) of 1.2.1.
    writeFileSync(file, `${header}[model.driver.options]\nllm_kwargs = { not_an_llm_argument = 1 }\n`);
    const refused = await runCli(['doctor', '--simulate', '--config', file], { env: { PIE_HOME: scratch() } });
    expect(refused.code).to.equal(1);
    expect(refused.stdout).to.match(/✗ simulated start +runtime on cuda:0 could not start: ENGINE_LOAD_FAILED/);
    const ready = await runCli(['doctor', '--simulate', '--config', example], { env: { PIE_HOME: scratch() } });
    expect(ready.code).to.equal(0);
    expect(ready.stdout).to.match(/✓ simulated start +qwen3-0\.6b started on cuda:0 and stopped/);
  });

  it('draws no progress escapes on a terminal that cannot redraw (TERM=dumb) or with NO_COLOR', () => {
    const saved = { tty: process.stderr.isTTY, term: process.env.TERM, noColor: process.env.NO_COLOR };
    try {
      Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
      delete process.env.NO_COLOR;
      process.env.TERM = 'xterm-256color';
      expect(processOutput.interactive).to.equal(true);
      process.env.TERM = 'dumb';
      expect(processOutput.interactive).to.equal(false);
      process.env.TERM = 'xterm-256color';
      process.env.NO_COLOR = '1';
      expect(processOutput.interactive).to.equal(false);
    } finally {
      Object.defineProperty(process.stderr, 'isTTY', { value: saved.tty, configurable: true });
      for (const [key, value] of [['TERM', saved.term], ['NO_COLOR', saved.noColor]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
