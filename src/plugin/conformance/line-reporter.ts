/**
 * A node:test reporter for the conformance kit: one line per check (✓, ✗ with the reason, - with
 * why it was skipped), then one summary line. A failed check's line says what was expected, what
 * came and the fix, as the kit's ConformanceFailure does.
 */
interface TestEventData {
  name: string;
  nesting: number;
  skip?: string | boolean;
  details?: { type?: string; error?: Error & { cause?: unknown } };
}

function reason(error: (Error & { cause?: unknown }) | undefined): string {
  const cause = error?.cause instanceof Error ? error.cause : error;
  return (cause?.message ?? 'failed').split('\n')[0]!;
}

export default async function* lineReporter(source: AsyncIterable<{ type: string; data: TestEventData }>): AsyncGenerator<string> {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const event of source) {
    const data = event.data;
    if (data?.details?.type === 'suite') continue; // describe blocks: their checks speak for them
    if (event.type === 'test:pass') {
      if (data.skip !== undefined && data.skip !== false) {
        skipped++;
        yield `- ${data.name}${typeof data.skip === 'string' ? ` (${data.skip})` : ''}\n`;
      } else {
        passed++;
        yield `✓ ${data.name}\n`;
      }
    } else if (event.type === 'test:fail') {
      failed++;
      yield `✗ ${data.name}: ${reason(data.details?.error)}\n`;
    }
  }
  const total = passed + failed + skipped;
  yield failed === 0
    ? `✓ conforms: ${passed} of ${total} checks passed${skipped ? `, ${skipped} skipped` : ''}\n`
    : `✗ ${failed} of ${total} conformance checks failed${skipped ? ` (${skipped} skipped)` : ''}\n`;
}
