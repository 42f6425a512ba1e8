/**
 * A node:test reporter for the conformance kit's `--json`: one JSON document at the end, with each
 * check's name, status (passed, failed, skipped) and reason, and whether the plugin conforms.
 */
import { type CheckEvent, checkOutcome } from './check-outcome.js';

export default async function* jsonReporter(source: AsyncIterable<CheckEvent>): AsyncGenerator<string> {
  const checks: { name: string; status: string; reason?: string }[] = [];
  for await (const event of source) {
    const outcome = checkOutcome(event);
    if (outcome) checks.push(outcome);
  }
  const failed = checks.filter((c) => c.status === 'failed').length;
  yield `${JSON.stringify({ ok: failed === 0, passed: checks.filter((c) => c.status === 'passed').length, failed, skipped: checks.filter((c) => c.status === 'skipped').length, checks })}\n`;
}
