import type { AST } from 'toml-eslint-parser';
import { TomlDocument } from '../config/toml-document.js';

export type InterpreterKey = 'venv' | 'python';

/** The drivers.toml cannot be edited safely (the table is written inline or with dotted keys). */
export class DriversFileEditError extends Error {
  readonly code = 'DRIVERS_FILE_UNEDITABLE';
}

const TABLE = ['driver', 'tensorrt_llm'];

interface Edit {
  start: number;
  end: number;
  text: string;
}

function findTable(document: TomlDocument): AST.TOMLTable | undefined {
  for (const node of document.ast.body[0]?.body ?? []) {
    // An array of tables is never matched: its resolved key ends in the element's index.
    if (node.type === 'TOMLTable' && node.resolvedKey.length === 2 && node.resolvedKey[0] === TABLE[0] && node.resolvedKey[1] === TABLE[1]) return node;
  }
  return undefined;
}

function keyOf(kv: AST.TOMLKeyValue): string {
  return kv.key.keys.map((k) => (k.type === 'TOMLBare' ? k.name : k.value)).join('.');
}

/** The whole line(s) of a node, newline included, so removing it leaves no blank line. */
function lineSpan(text: string, node: { range: [number, number] }): { start: number; end: number } {
  const start = text.lastIndexOf('\n', node.range[0] - 1) + 1;
  const newline = text.indexOf('\n', node.range[1]);
  return { start, end: newline < 0 ? text.length : newline + 1 };
}

function apply(text: string, edits: Edit[]): string {
  let out = text;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  return out;
}

function assertEditable(document: TomlDocument): void {
  const driver = document.value.driver as Record<string, unknown> | undefined;
  if (driver !== undefined && (typeof driver !== 'object' || Array.isArray(driver))) {
    throw new DriversFileEditError('drivers.toml sets driver to something other than a table; edit that entry by hand so that [driver.tensorrt_llm] can sit below it');
  }
  if (driver && 'tensorrt_llm' in driver && !findTable(document)) {
    throw new DriversFileEditError('drivers.toml sets driver.tensorrt_llm inline or with dotted keys; edit that entry by hand, or rewrite it as a [driver.tensorrt_llm] table');
  }
}

/**
 * Sets `venv` or `python` in `[driver.tensorrt_llm]`, removing the other (they exclude each other),
 * and leaves every other line of the file, comments included, as it was.
 */
export function setInterpreterSetting(text: string, key: InterpreterKey, value: string, file = 'drivers.toml'): string {
  const document = TomlDocument.parse(text, file);
  assertEditable(document);
  const entry = `${key} = ${JSON.stringify(value)}`;
  const table = findTable(document);
  if (!table) {
    const prefix = text.length === 0 || text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n';
    return `${text}${prefix}[driver.tensorrt_llm]\n${entry}\n`;
  }
  const other = key === 'venv' ? 'python' : 'venv';
  const edits: Edit[] = [];
  const existing = table.body.find((kv) => keyOf(kv) === key);
  const replaced = table.body.find((kv) => keyOf(kv) === other);
  if (existing) edits.push({ start: existing.range[0], end: existing.range[1], text: entry });
  else if (replaced) {
    // The other key's whole line goes, its comment with it: a comment about a venv does not
    // describe the interpreter that replaces it.
    const span = lineSpan(text, replaced);
    edits.push({ ...span, text: `${entry}\n` });
  } else {
    // After the line of the table's last entry (or of its header): a comment ending that line stays on it.
    const { end } = lineSpan(text, table.body.at(-1) ?? table.key);
    edits.push({ start: end, end, text: text[end - 1] === '\n' ? `${entry}\n` : `\n${entry}\n` });
  }
  if (existing && replaced) edits.push({ ...lineSpan(text, replaced), text: '' });
  return apply(text, edits);
}

/** Removes `venv` or `python` from `[driver.tensorrt_llm]`, and the table once it is empty. */
export function unsetInterpreterSetting(text: string, key: InterpreterKey, file = 'drivers.toml'): { text: string; changed: boolean } {
  const document = TomlDocument.parse(text, file);
  assertEditable(document);
  const table = findTable(document);
  const kv = table?.body.find((entry) => keyOf(entry) === key);
  if (!table || !kv) return { text, changed: false };
  const edits: Edit[] = [{ ...lineSpan(text, kv), text: '' }];
  if (table.body.length === 1) edits.push({ ...lineSpan(text, table.key), text: '' });
  return { text: apply(text, edits), changed: true };
}
