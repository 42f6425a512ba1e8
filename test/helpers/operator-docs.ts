import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './package-paths.js';

export const operatorsGuide = readFileSync(join(repoRoot, 'docs', 'operators.md'), 'utf8');

/** The fenced block of `language` that follows the text `after` in docs/operators.md. */
export function fencedAfter(after: string, language: string): string {
  const at = operatorsGuide.indexOf(after);
  if (at < 0) throw new Error(`docs/operators.md has no "${after}"`);
  const start = operatorsGuide.indexOf(`\`\`\`${language}\n`, at);
  return operatorsGuide.slice(start + language.length + 4, operatorsGuide.indexOf('\n```', start + 1));
}
