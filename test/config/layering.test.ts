import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '../helpers/package-paths.js';

describe('layering: configuration is the first stage of the data flow', () => {
  it('src/config imports nothing from the layers above it (plugin, driver, runtime, capabilities, cli)', () => {
    const dir = join(repoRoot, 'src', 'config');
    const upward: string[] = [];
    const visit = (folder: string) => {
      for (const entry of readdirSync(folder, { withFileTypes: true })) {
        const path = join(folder, entry.name);
        if (entry.isDirectory()) visit(path);
        else if (entry.name.endsWith('.ts')) {
          for (const match of readFileSync(path, 'utf8').matchAll(/from '(\.\.[^']*)'/g)) {
            if (/\.\.\/(plugin|driver|runtime|capabilities|cli)\//.test(match[1]!) || /^\.\.\/\.\.\//.test(match[1]!)) upward.push(`${path}: ${match[1]}`);
          }
        }
      }
    };
    visit(dir);
    expect(upward).to.deep.equal([]);
  });
});
