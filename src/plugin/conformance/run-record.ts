/**
 * What a `pie-trtllm conformance` run shares between its processes, through files whose paths the
 * command puts in the environment: the checks the kit defined (written by the test file as it
 * defines them) and the verdict (written by the reporter at the end, read by the command for its
 * exit code). A check that never reported, because the test process ended early (a plugin that
 * calls process.exit, a crash), is a failure, never a pass by omission.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export const EXPECTED_FILE_VARIABLE = 'PIE_CONFORMANCE_EXPECTED';
export const VERDICT_FILE_VARIABLE = 'PIE_CONFORMANCE_VERDICT';

export interface RunVerdict {
  ok: boolean;
  /** Checks the kit defined that never reported. */
  missing: string[];
}

/** The test file's side: the name of every check, once all are defined. */
export function recordExpected(names: readonly string[]): void {
  const file = process.env[EXPECTED_FILE_VARIABLE];
  if (file) writeFileSync(file, JSON.stringify(names));
}

/** The reporter's side: the defined checks that never reported, or undefined when the test file
 *  ended before it defined them (nothing to compare with: the run failed). */
export function missingChecks(reported: readonly string[]): string[] | undefined {
  const file = process.env[EXPECTED_FILE_VARIABLE];
  if (!file) return [];
  let expected: unknown;
  try {
    expected = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(expected)) return undefined;
  const seen = new Set(reported);
  return (expected as string[]).filter((name) => !seen.has(name));
}

export function recordVerdict(verdict: RunVerdict): void {
  const file = process.env[VERDICT_FILE_VARIABLE];
  if (file) writeFileSync(file, JSON.stringify(verdict));
}

/** The command's side: the verdict, or undefined when the reporter never wrote one. */
export function readVerdict(file: string): RunVerdict | undefined {
  try {
    const verdict = JSON.parse(readFileSync(file, 'utf8')) as RunVerdict;
    return typeof verdict.ok === 'boolean' ? verdict : undefined;
  } catch {
    return undefined;
  }
}

/** The line a check that never reported gets. */
export const NEVER_REPORTED = 'never reported: the test process ended before this check finished (a plugin that calls process.exit, or a crash)';
/** The line when the kit's checks were never defined. */
export const NEVER_DEFINED = 'the kit\'s checks were never defined: the test process ended while it loaded';
