/**
 * A node:test reporter for the conformance kit: one line per check (✓, ✗ with the reason, - with
 * why it was skipped), then one summary line. A failed check's line says what was expected, what
 * came and the fix, as the kit's ConformanceFailure does. A check that never reported fails.
 */
import { type CheckEvent, checkOutcome } from './check-outcome.js';
import { missingChecks, NEVER_DEFINED, NEVER_REPORTED, recordVerdict } from './run-record.js';

export default async function* lineReporter(source: AsyncIterable<CheckEvent>): AsyncGenerator<string> {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const reported: string[] = [];
  for await (const event of source) {
    const outcome = checkOutcome(event);
    if (!outcome) continue;
    reported.push(outcome.name);
    if (outcome.status === 'skipped') {
      skipped++;
      yield `- ${outcome.name}${outcome.reason !== undefined ? ` (${outcome.reason})` : ''}\n`;
    } else if (outcome.status === 'passed') {
      passed++;
      yield `✓ ${outcome.name}\n`;
    } else {
      failed++;
      yield `✗ ${outcome.name}: ${outcome.reason}\n`;
    }
  }
  const missing = missingChecks(reported);
  if (missing === undefined) {
    failed++;
    yield `✗ ${NEVER_DEFINED}\n`;
  } else {
    for (const name of missing) yield `✗ ${name}: ${NEVER_REPORTED}\n`;
    failed += missing.length;
  }
  recordVerdict({ ok: failed === 0, missing: missing ?? [] });
  const total = passed + failed + skipped;
  yield failed === 0
    ? `✓ conforms: ${passed} of ${total} checks passed${skipped ? `, ${skipped} skipped` : ''}\n`
    : `✗ ${failed} of ${total} conformance checks failed${skipped ? ` (${skipped} skipped)` : ''}\n`;
}
