import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** The repository root, seen from dist/test/helpers. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const cliPath = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
export const fixtures = join(repoRoot, 'test', 'fixtures');
