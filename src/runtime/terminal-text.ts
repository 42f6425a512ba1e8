/** What a terminal acts on or reorders by beyond the C0 controls: DEL and the C1 controls, the
 *  bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069,
 *  which reorder what the reader sees) and the line and paragraph separators. */
const BEYOND_C0 = '\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
const UNSAFE_TEXT = new RegExp(`[\\u0000-\\u0008\\u000a-\\u001f${BEYOND_C0}]`, 'g');
const UNSAFE_IN_JSON = new RegExp(`[${BEYOND_C0}]`, 'g');

const escaped = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Text from outside (a model name, a path, a runtime's log line) made safe for a terminal line:
 * control characters (newlines, escape sequences, C1 controls, DEL) and the bidirectional
 * formatting characters are shown as \uXXXX escapes, so nothing a configuration, a plugin or a
 * runtime says can forge a log line, drive the terminal, or make a line read other than it is.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE_TEXT, escaped);
}

/** JSON text made safe the same way: JSON.stringify escapes the C0 controls itself, and a \u
 *  escape of any other character reads back as the same string. */
export function terminalSafeJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, escaped);
}

/** True when `text` holds a control character that `terminalSafe` would escape (a tab is allowed). */
export function hasControlCharacters(text: string): boolean {
  return terminalSafe(text) !== text;
}
