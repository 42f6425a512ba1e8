import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '../helpers/package-paths.js';
import { runCli } from '../helpers/run-cli.js';

/** The lines of the `console` block that starts with `$ <command>` in a documentation page. */
function transcript(page: string, command: string): string[] {
  const text = readFileSync(join(repoRoot, page), 'utf8');
  const block = [...text.matchAll(/^```console\n([\s\S]*?)^```$/gm)].map((m) => m[1]!.trimEnd().split('\n')).find((lines) => lines[0] === `$ ${command}`);
  if (!block) throw new Error(`${page} has no console block for ${command}`);
  return block.slice(1);
}

describe('documented transcripts match what the commands print', function () {
  this.timeout(120_000);

  it('README: npm start (generate, simulated, default greedy rule): the whole output, stderr included', async () => {
    const lines = transcript('README.md', 'npm start');
    // What npm start runs, with the default greedy rule the transcript was taken with.
    const run = await runCli(['generate', '--config', join(repoRoot, 'examples', 'pie.toml'), '--simulate=auto', '--prompt-tokens', '1,2,3,4', '--max-tokens', '16'], { env: { PIE_TRTLLM_SIMULATE_RULE: '' } });
    expect(run.code, run.stderr).to.equal(0);
    // What varies from machine to machine: the interpreter's path and the timings. A terminal
    // redraws the progress line in place; a pipe gets its first state on a line of its own.
    const normal = (line: string) => line.replace(/with \S+ \(/, 'with PYTHON (').replace(/\([\d.]+ s\)/, '(T s)').replace(/[\d.]+ ms \(\d+ tokens\/s\)/, 'T ms');
    const printed = [...run.stderr.trim().split('\n').filter((l) => !l.endsWith('...')), ...run.stdout.trim().split('\n')].map(normal);
    expect(printed).to.deep.equal(lines.map(normal));
  });

  it('docs/operators.md: validate', async () => {
    const lines = transcript('docs/operators.md', 'pie-trtllm validate pie.toml');
    const folder = mkdtempSync(join(tmpdir(), 'pie-doc-validate-'));
    // A file whose problems stand on the documented lines (21 and 22).
    const head = ['[[model]]', 'name = "m"', 'hf_repo = "Qwen/Qwen3-0.6B"', '', '[model.driver]', 'type = "tensorrt_llm"', 'device = "cuda:0"', '', '[model.driver.options]'];
    const filler = Array.from({ length: 20 - head.length }, (_, i) => `# note ${i}`);
    writeFileSync(join(folder, 'pie.toml'), [...head, ...filler, 'lookahead_tokens = 17', 'max_sesion_histories = 3', ''].join('\n'));
    const run = await runCli(['validate', 'pie.toml'], { cwd: folder });
    expect(run.code).to.equal(1);
    expect(run.stdout.trim().split('\n')).to.deep.equal(lines);
    expect(run.stderr, 'nothing printed beyond the transcript').to.equal('');
  });

  it('docs/operators.md: doctor on a machine without TensorRT-LLM (each check, its mark)', async function () {
    const lines = transcript('docs/operators.md', 'pie-trtllm doctor --config examples/pie.toml');
    const run = await runCli(['doctor', '--config', 'examples/pie.toml'], { cwd: repoRoot });
    if (/✓ tensorrt_llm/.test(run.stdout)) this.skip(); // a machine with TensorRT-LLM prints other marks
    const marks = (text: string[]) => text.filter((l) => /^ {2}[✓!✗] /.test(l)).map((l) => l.trim().split(/\s{2,}/)[0]);
    expect(marks(run.stdout.split('\n'))).to.deep.equal(marks(lines));
    expect(run.stdout.trim().split('\n').at(-1)).to.equal(lines.at(-1));
  });

  it('docs/plugin-authors.md: conformance on a plugin without the pie-driver keyword', async () => {
    const lines = transcript('docs/plugin-authors.md', 'npx --no-install pie-trtllm conformance ./my-plugin');
    const folder = mkdtempSync(join(tmpdir(), 'pie-doc-kit-'));
    const plugin = join(folder, 'my-plugin');
    mkdirSync(plugin);
    writeFileSync(join(plugin, 'package.json'), JSON.stringify({ name: 'my-plugin', version: '1.0.0', type: 'module', keywords: ['pie-plugin'], pie: { apiVersion: 1, plugin: './plugin.mjs' } }));
    writeFileSync(join(plugin, 'plugin.mjs'), `const schema = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', additionalProperties: false, required: ['type'], properties: { type: { const: 'mine', description: 'Driver type.' } } };
const descriptor = { type: 'mine', aliases: [], schema, examples: [{ type: 'mine' }], supports: { start: false }, create() { throw new Error('no'); },
  validate: (t) => (t && typeof t === 'object' && !Array.isArray(t) && t.type === 'mine' && Object.keys(t).length === 1 ? { ok: true, config: t, problems: [] } : { ok: false, problems: [{ path: 'model.driver', message: 'expected { type = "mine" }' }] }) };
export default { apiVersion: 1, name: 'my-plugin', register(c) { c.resolve(Symbol.for('pie.DriverRegistry')).register(descriptor, 'my-plugin'); } };
`);
    const run = await runCli(['conformance', './my-plugin'], { cwd: folder });
    expect(run.code).to.equal(1);
    expect(run.stderr, 'nothing printed beyond the transcript').to.equal('');
    // The documented lines, in order, with '...' standing for lines left out.
    const printed = run.stdout.trim().split('\n');
    let at = 0;
    for (const line of lines) {
      if (line === '...') continue;
      const found = printed.indexOf(line, at);
      expect(found, line).to.be.at.least(at);
      at = found + 1;
    }
    expect(printed.at(-1)).to.equal(lines.at(-1));
  });
});
