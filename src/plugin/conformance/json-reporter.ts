/**
 * A node:test reporter for the conformance kit's `--json`: one JSON document at the end, with each
 * check's name, status (passed, failed, skipped) and reason, and whether the plugin conforms. A
 * check that never reported is listed as failed.
 */
import { type CheckEvent, checkOutcome } from './check-outcome.js';
import { missingChecks, NEVER_DEFINED, NEVER_REPORTED, recordVerdict } from './run-record.js';

export default async function* jsonReporter(source: AsyncIterable<CheckEvent>): AsyncGenerator<string> {
  const checks: { name: string; status: string; reason?: string }[] = [];
  for await (const event of source) {
    const outcome = checkOutcome(event);
    if (outcome) checks.push(outcome);
  }
  const missing = missingChecks(checks.map((c) => c.name));
  if (missing === undefined) checks.push({ name: 'the kit', status: 'failed', reason: NEVER_DEFINED });
  else for (const name of missing) checks.push({ name, status: 'failed', reason: NEVER_REPORTED });
  const failed = checks.filter((c) => c.status === 'failed').length;
  recordVerdict({ ok: failed === 0, missing: missing ?? [] });
  yield `${JSON.stringify({ ok: failed === 0, passed: checks.filter((c) => c.status === 'passed').length, failed, skipped: checks.filter((c) => c.status === 'skipped').length, checks })}\n`;
}
