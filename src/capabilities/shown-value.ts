/**
 * A client's value as an error message may quote it: bounded in depth and length, so no value,
 * however deep or large, can make an error message throw (JSON.stringify overflows the stack on
 * deep nesting) or grow without limit.
 */
export function shownValue(value: unknown, depth = 0): string {
  if (value === null || typeof value !== 'object') {
    const text = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? `${value}n` : String(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  }
  if (depth >= 3) return Array.isArray(value) ? '[...]' : '{...}';
  if (Array.isArray(value)) {
    const items = value.slice(0, 8).map((v) => shownValue(v, depth + 1));
    return `[${items.join(', ')}${value.length > 8 ? `, ... (${value.length} items)` : ''}]`;
  }
  const keys = Object.keys(value);
  const items = keys.slice(0, 8).map((k) => `${JSON.stringify(k.length > 40 ? `${k.slice(0, 37)}...` : k)}: ${shownValue((value as Record<string, unknown>)[k], depth + 1)}`);
  return `{${items.join(', ')}${keys.length > 8 ? ', ...' : ''}}`;
}
