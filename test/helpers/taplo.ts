import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { schemaPaths } from '../../src/config/schema-files.js';
import { repoRoot } from './package-paths.js';

const taplo = join(repoRoot, 'node_modules', '.bin', 'taplo');

/**
 * Runs `taplo check --schema file://<pie.schema.json>` once over many files (taplo's start-up is
 * the slow part) and reads its per-file verdicts: a file is rejected when taplo logs
 * `invalid file ... path="<file>"` for it.
 */
export function taploVerdicts(files: readonly string[]): Promise<Map<string, boolean>> {
  return new Promise((resolve, reject) => {
    const child = spawn(taplo, ['check', '--schema', `file://${schemaPaths.pie}`, ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const rejected = new Set<string>();
      for (const match of log.matchAll(/invalid file error=[^\n]*? path="([^"]+)"/g)) rejected.add(match[1]!);
      if (code !== 0 && rejected.size === 0) {
        reject(new Error(`taplo exited ${code} without a per-file verdict:\n${log.slice(-2000)}`));
        return;
      }
      resolve(new Map(files.map((f) => [f, !rejected.has(f)])));
    });
  });
}
