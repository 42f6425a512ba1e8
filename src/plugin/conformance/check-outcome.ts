/** What one node:test event says about a conformance check, for the kit's reporters. */
export interface CheckEvent {
  type: string;
  data: {
    name: string;
    nesting: number;
    skip?: string | boolean;
    details?: { type?: string; error?: Error & { cause?: unknown } };
  };
}

/** The first line of why a check failed (node:test wraps the thrown error as its cause). */
export function failureReason(error: (Error & { cause?: unknown }) | undefined): string {
  const cause = error?.cause instanceof Error ? error.cause : error;
  return (cause?.message ?? 'failed').split('\n')[0]!;
}

/** A check's name, status and reason; undefined for events that are not a check's end (and for
 *  describe blocks, whose checks speak for them). */
export function checkOutcome(event: CheckEvent): { name: string; status: 'passed' | 'failed' | 'skipped'; reason?: string } | undefined {
  const data = event.data;
  if (data?.details?.type === 'suite') return undefined;
  // The test file itself (nesting 0, not a suite): the runner's stand-in when its checks did not
  // report; the kit's checks sit below its describe block.
  if (data?.nesting === 0) return undefined;
  if (event.type === 'test:pass') {
    if (data.skip !== undefined && data.skip !== false) return { name: data.name, status: 'skipped', ...(typeof data.skip === 'string' ? { reason: data.skip } : {}) };
    return { name: data.name, status: 'passed' };
  }
  if (event.type === 'test:fail') return { name: data.name, status: 'failed', reason: failureReason(data.details?.error) };
  return undefined;
}
