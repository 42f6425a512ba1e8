import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { validateDriverTable } from '../../src/config/driver-validator.js';
import { schemaPaths } from '../../src/config/schema-files.js';
import { fixtures, repoRoot } from '../helpers/package-paths.js';

/** What an editor user sees: taplo's own messages for our schema. */
async function taploErrors(file: string): Promise<string[]> {
  const taplo = join(repoRoot, 'node_modules', '.bin', 'taplo');
  const output = await promisify(execFile)(taplo, ['check', '--schema', `file://${schemaPaths.pie}`, file]).then(
    (r) => r.stdout + r.stderr,
    (e: { stdout: string; stderr: string }) => e.stdout + e.stderr,
  );
  return [...new Set(output.split('\n').filter((l) => l.startsWith('error:')))];
}

describe('taplo shows readable messages for the rules that are not plain types', function () {
  this.timeout(30_000);

  it('venv and python set together', async () => {
    const errors = await taploErrors(join(fixtures, 'config', 'invalid', 'venv-and-python.toml'));
    expect(errors).to.deep.equal(['error: "/b/python" is not one of ["remove `venv` or `python`: they exclude each other (set one)"]']);
  });

  it('a capacity key Pie rejects', async () => {
    const errors = await taploErrors(join(fixtures, 'config', 'invalid', 'capacity-max-num-kv-pages.toml'));
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(/is not one of \["`max_num_kv_pages` is not accepted; drivers compute KV pages and scheduling capacity in capabilities \(remove the key\)"\]$/);
    expect(errors[0]).not.to.match(/"not"|\{\}/);
  });
});

describe('the readable refusals have no hole', () => {
  it('refuses even a value equal to the message itself', () => {
    const message = '`max_num_kv_pages` is not accepted; drivers compute KV pages and scheduling capacity in capabilities (remove the key)';
    expect(validateDriverTable({ type: 'trtllm', device: 'cuda:0', options: { max_num_kv_pages: message } }).ok).to.equal(false);
    const exclusion = 'remove `venv` or `python`: they exclude each other (set one)';
    expect(validateDriverTable({ type: 'trtllm', device: 'cuda:0', options: { venv: '/a', python: exclusion } }).ok).to.equal(false);
    expect(validateDriverTable({ type: 'trtllm', device: 'cuda:0', options: { python: '/b/python' } }).ok).to.equal(true);
  });
});
