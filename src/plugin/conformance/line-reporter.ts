/**
 * A node:test reporter for the conformance kit: one line per check (✓, ✗ with the reason, - with
 * why it was skipped), then one summary line. A failed check's line says what was expected, what
 * came and the fix, as the kit's ConformanceFailure does.
 */
import { type CheckEvent, checkOutcome } from './check-outcome.js';

export default async function* lineReporter(source: AsyncIterable<CheckEvent>): AsyncGenerator<string> {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const event of source) {
    const outcome = checkOutcome(event);
    if (!outcome) continue;
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
  const total = passed + failed + skipped;
  yield failed === 0
    ? `✓ conforms: ${passed} of ${total} checks passed${skipped ? `, ${skipped} skipped` : ''}\n`
    : `✗ ${failed} of ${total} conformance checks failed${skipped ? ` (${skipped} skipped)` : ''}\n`;
}
