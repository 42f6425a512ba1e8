import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { fixtures, repoRoot } from '../helpers/package-paths.js';
import { runCli } from '../helpers/run-cli.js';

const example = join(repoRoot, 'examples', 'pie.toml');
const scratch = () => mkdtempSync(join(tmpdir(), 'pie-json-'));

/** A pie.toml of one TensorRT-LLM model on `devices`. */
function config(devices: string): string {
  const file = join(scratch(), 'pie.toml');
  writeFileSync(file, `[[model]]\nname = "m"\nhf_repo = "org/m"\n[model.driver]\ntype = "tensorrt_llm"\ndevice = ${devices}\n`);
  return file;
}

// Every command that takes --json, on each exit path it has: 0 (done), 1 (what was checked or
// run failed) and 2 (the invocation was wrong). stdout must be one JSON document each time, so a
// script that reads it never meets plain text.
describe('cli: --json is one JSON document on stdout on every exit path', function () {
  this.timeout(120_000);
  const home = () => ({ PIE_HOME: scratch() });
  const doctorEnv = () => ({ ...home(), PIE_PYTHON: join(fixtures, 'interpreters', 'cluster-python') }); // reports 2 GPUs
  const directoryHome = () => {
    const dir = scratch();
    mkdirSync(join(dir, 'drivers.toml'));
    return { PIE_HOME: dir };
  };
  const cases: { name: string; args: () => string[]; code: number; env?: () => Record<string, string>; cwd?: () => string; ok?: boolean }[] = [
    { name: 'validate, valid', args: () => ['validate', example], code: 0 },
    { name: 'validate, invalid', args: () => ['validate', join(fixtures, 'config', 'invalid', 'venv-number.toml')], code: 1 },
    { name: 'validate, unreadable', args: () => ['validate', '/nonexistent/pie.toml'], code: 2 },
    { name: 'validate, a device', args: () => ['validate', '/dev/zero'], code: 2 },
    { name: 'doctor, ready', args: () => ['doctor', '--config', config('"cuda:0"')], code: 0, env: doctorEnv },
    { name: 'doctor, a missing GPU', args: () => ['doctor', '--config', config('["cuda:0", "cuda:1", "cuda:2"]')], code: 1, env: doctorEnv },
    { name: 'doctor, --model without --config', args: () => ['doctor', '--model', 'm'], code: 2 },
    { name: 'generate, done', args: () => ['generate', '--config', example, '--simulate', '--prompt-tokens', '1,2', '--max-tokens', '2'], code: 0, env: home },
    { name: 'generate, invalid config', args: () => ['generate', '--config', join(fixtures, 'config', 'invalid', 'venv-number.toml'), '--simulate', '--prompt-tokens', '1', '--max-tokens', '1'], code: 1 },
    { name: 'generate, bad --max-tokens', args: () => ['generate', '--config', example, '--simulate', '--prompt-tokens', '1', '--max-tokens', '0'], code: 2 },
    { name: 'show, done', args: () => ['show'], code: 0, env: home },
    { name: 'show, drivers.toml a folder', args: () => ['show'], code: 1, env: directoryHome },
    { name: 'show, unknown option', args: () => ['show', '--bogus'], code: 2 },
    { name: 'list, done', args: () => ['list'], code: 0, cwd: () => repoRoot },
    { name: 'list, no package', args: () => ['list'], code: 1, cwd: scratch },
    { name: 'list, unknown option', args: () => ['list', '--bogus'], code: 2 },
    { name: 'conformance, conforms', args: () => ['conformance', repoRoot], code: 0 },
    { name: 'conformance, fails', args: () => ['conformance', join(fixtures, 'plugins', 'sloppy-plugin')], code: 1 },
    { name: 'conformance, a plugin that exits', args: () => ['conformance', join(fixtures, 'plugins', 'exiting-plugin')], code: 1 },
    { name: 'conformance, out of time', args: () => ['conformance', '--timeout', '2', join(fixtures, 'plugins', 'hanging-plugin')], code: 1 },
    { name: 'conformance, no package', args: () => ['conformance', scratch()], code: 2 },
    { name: 'an unknown command', args: () => ['bogus'], code: 2 },
  ];
  for (const c of cases) {
    it(`${c.name}: exit ${c.code}`, async () => {
      const run = await runCli([...c.args(), '--json'], { env: c.env?.(), cwd: c.cwd?.() });
      expect(run.code, run.stderr).to.equal(c.code);
      let document: unknown;
      expect(() => (document = JSON.parse(run.stdout)), `stdout: ${run.stdout.slice(0, 300)}`).not.to.throw();
      expect(document).to.be.an('object');
      const record = document as { ok?: unknown; valid?: unknown };
      // Success and failure are said in the document itself, the same way as the exit code.
      const said = record.ok ?? record.valid;
      if (said !== undefined) expect(said, JSON.stringify(document).slice(0, 300)).to.equal(c.code === 0);
    });
  }
});
