/** What was thrown, in one line, whatever it is: an Error, null, undefined, a string, a Proxy, an
 *  object whose `message` getter throws. Describing a thrown value never throws itself. */
export function describeThrown(value: unknown): string {
  try {
    if (value === null || value === undefined) return `${String(value)} was thrown`;
    if (typeof value === 'string') return value.split('\n')[0]! || 'an empty string was thrown';
    if (value instanceof Error) {
      const message = String(value.message).split('\n')[0]!;
      return message || `${String(value.name)} with no message`;
    }
    return `a ${typeof value} was thrown: ${String(value).split('\n')[0]!.slice(0, 200)}`;
  } catch {
    return 'a value was thrown that cannot be described (reading it threw too)';
  }
}
