import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtures } from './package-paths.js';

/**
 * A throw-away host package whose node_modules links to the given packages (fixture plugin names,
 * or [name, folder] pairs), declared in its package.json in that order.
 */
export function fixtureHost(packages: (string | [string, string])[], extraDeclared: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'pie-host-'));
  mkdirSync(join(dir, 'node_modules'));
  const dependencies: Record<string, string> = {};
  for (const entry of packages) {
    const [name, folder] = typeof entry === 'string' ? [entry, join(fixtures, 'plugins', entry)] : entry;
    symlinkSync(folder, join(dir, 'node_modules', name), 'dir');
    dependencies[name] = '*';
  }
  for (const name of extraDeclared) dependencies[name] = '*';
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fixture-host', version: '1.0.0', private: true, dependencies }, null, 2));
  return dir;
}
