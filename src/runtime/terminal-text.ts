/**
 * Text from outside (a model name, a path, a runtime's log line) made safe for a terminal line:
 * control characters (newlines, escape sequences, C1 controls, DEL) are shown as \uXXXX escapes,
 * so nothing a configuration or a runtime says can forge a log line or drive the terminal.
 */
export function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** True when `text` holds a control character that `terminalSafe` would escape (a tab is allowed). */
export function hasControlCharacters(text: string): boolean {
  return terminalSafe(text) !== text;
}
