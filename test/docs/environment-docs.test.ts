import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '../helpers/package-paths.js';

function files(folder: string, suffix: string): string[] {
  return readdirSync(join(repoRoot, folder), { recursive: true })
    .map(String)
    .filter((file) => file.endsWith(suffix))
    .map((file) => join(repoRoot, folder, file));
}

describe('environment variables (docs)', () => {
  it('documents every PIE_TRTLLM_* variable the host or the runtime reads', () => {
    const code = [...files('src', '.ts'), ...files(join('python', 'pie_trtllm_runtime'), '.py')].map((file) => readFileSync(file, 'utf8')).join('\n');
    // Names written whole in quotes: what the code reads, not the prose of a comment cut by a line end.
    const read = new Set([...code.matchAll(/(?:["'`]|env\.)(PIE_TRTLLM_[A-Z0-9_]*[A-Z0-9])\b/g)].map((m) => m[1]!));
    expect(read.size).to.be.above(15);
    const docs = ['README.md', ...readdirSync(join(repoRoot, 'docs')).map((f) => join('docs', f))].map((f) => readFileSync(join(repoRoot, f), 'utf8')).join('\n');
    expect([...read].filter((name) => !docs.includes(`\`${name}`) && !docs.includes(`\`$${name}`)).sort()).to.deep.equal([]);
  });
});
