import { type AST, ParseError, getStaticTOMLValue, parseTOML } from 'toml-eslint-parser';
import { PROTOTYPE_KEYS } from './table-shape.js';

/** A TOML file that did not parse: where and why. */
export class TomlSyntaxError extends Error {
  readonly code = 'TOML_SYNTAX';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}:${column}: TOML syntax error: ${reason}`);
    this.name = 'TomlSyntaxError';
  }
}

type Path = readonly (string | number)[];


/** How deep a value may sit: tables, array-of-tables indexes, dotted key parts and arrays each
 *  count one level (`model[0].driver.options.llm_kwargs` is level 5). Deeper files are refused
 *  where they pass the bound, so nothing later (conversion, validation, the runtime's JSON) runs
 *  out of stack. */
export const MAX_TOML_DEPTH = 64;

/** Walks every key of the tree (iteratively: nesting depth is the file's to choose), refusing a
 *  value deeper than `MAX_TOML_DEPTH` or a key that names the prototype: the parser's conversion
 *  assigns keys onto plain objects, so `[__proto__]` would write into `Object.prototype` for the
 *  whole process. Both are refused on the syntax tree, before any object is built. */
function checkTree(ast: AST.TOMLProgram, file: string): void {
  const pending: { node: AST.TOMLNode; depth: number }[] = ast.body.map((node) => ({ node, depth: 0 }));
  const tooDeep = (node: AST.TOMLNode, depth: number) =>
    new TomlSyntaxError(file, node.loc.start.line, node.loc.start.column + 1, `this value is nested ${depth} levels deep, past the ${MAX_TOML_DEPTH} levels a file may use (tables, dotted keys and arrays each count one); flatten it`);
  for (let item = pending.pop(); item; item = pending.pop()) {
    const { node, depth } = item;
    switch (node.type) {
      case 'TOMLTable':
        if (node.resolvedKey.length > MAX_TOML_DEPTH) throw tooDeep(node, node.resolvedKey.length);
        pending.push({ node: node.key, depth }, ...node.body.map((child) => ({ node: child, depth: node.resolvedKey.length })));
        break;
      case 'TOMLTopLevelTable':
      case 'TOMLInlineTable':
        pending.push(...node.body.map((child) => ({ node: child, depth })));
        break;
      case 'TOMLKeyValue': {
        const valueDepth = depth + node.key.keys.length;
        if (valueDepth > MAX_TOML_DEPTH) throw tooDeep(node, valueDepth);
        pending.push({ node: node.key, depth }, { node: node.value, depth: valueDepth });
        break;
      }
      case 'TOMLArray':
        if (node.elements.length > 0 && depth + 1 > MAX_TOML_DEPTH) throw tooDeep(node.elements[0]!, depth + 1);
        pending.push(...node.elements.map((child) => ({ node: child, depth: depth + 1 })));
        break;
      case 'TOMLKey':
        for (const key of node.keys) {
          const name = key.type === 'TOMLBare' ? key.name : key.value;
          if (PROTOTYPE_KEYS.has(name)) {
            throw new TomlSyntaxError(file, key.loc.start.line, key.loc.start.column + 1, `the key "${name}" is not allowed (it names JavaScript's prototype machinery, and no setting uses it); rename or remove it`);
          }
        }
        break;
    }
  }
}

/**
 * Parser errors about something missing (a value, the rest of a key) are raised at the next
 * token, which may be on a later line or the end of the file: `a =` at the end of line 1 would be
 * reported on line 2. These are placed where the written text stops instead.
 */
const MISSING_AT_END = new Set(['Unspecified values are invalid', 'The key, equals sign, and value must be on the same line', 'Unterminated table-key', 'Expected equal (=) token']);

/**
 * Where the written text stops before a reported place: when nothing but blanks precede it on its
 * line, the nearest line above that holds more than blanks or a comment (its 1-based number, and
 * the 0-based column just past its last character that is not blank); else the reported place.
 */
function endOfWrittenText(text: string, index: number, line: number, column: number): { line: number; column: number } {
  const lines = text.split('\n');
  const reported = lines[line - 1] ?? '';
  if (reported.slice(0, column).trim() !== '' && index < text.length) return { line, column };
  for (let at = line - 2; at >= 0; at--) {
    const written = lines[at]!.trimEnd();
    const start = written.trimStart();
    if (start === '' || start.startsWith('#')) continue;
    return { line: at + 1, column: written.length };
  }
  return { line, column };
}

/** A parsed TOML document that still knows where each key was written. */
export class TomlDocument {
  private constructor(
    readonly text: string,
    /** @internal the parser's syntax tree, kept out of the published types */
    readonly ast: AST.TOMLProgram,
    readonly value: Record<string, unknown>,
  ) {}

  static parse(text: string, file = '<input>'): TomlDocument {
    let ast: AST.TOMLProgram;
    try {
      ast = parseTOML(text);
    } catch (error) {
      if (error instanceof RangeError) {
        // The parser descends recursively: arrays nested some thousands deep exhaust the stack
        // before the depth bound below can be applied.
        throw new TomlSyntaxError(file, 1, 1, `values are nested too deep to read (a file may nest ${MAX_TOML_DEPTH} levels); flatten them`);
      }
      throw TomlDocument.syntaxError(error, file, text);
    }
    checkTree(ast, file);
    return new TomlDocument(text, ast, getStaticTOMLValue(ast) as Record<string, unknown>);
  }

  private static syntaxError(error: unknown, file: string, text: string): unknown {
    // The parser's message is the reason alone; line and column come as fields.
    if (!(error instanceof ParseError)) return error;
    const end = endOfWrittenText(text, error.index, error.lineNumber, error.column);
    if (MISSING_AT_END.has(error.message)) return new TomlSyntaxError(file, end.line, end.column + 1, error.message);
    // `a =` and then a later line: the parser meets that line's first character where the value
    // should be, and calls it unexpected; the value is what is missing, on the line with `=`.
    if (end.line !== error.lineNumber && text.split('\n')[end.line - 1]!.trimEnd().endsWith('=')) {
      return new TomlSyntaxError(file, end.line, end.column + 1, 'Unspecified values are invalid');
    }
    return new TomlSyntaxError(file, error.lineNumber, error.column + 1, error.message);
  }

  /** Where each written key path starts (its first writing), built once on first use. */
  private lines: Map<string, number> | undefined;

  /** The 1-based line where the deepest written part of `path` is (line 1 when none of it is):
   *  the longest prefix of `path` that the file writes as a whole key, table or array element. */
  lineOf(path: Path): number {
    this.lines ??= this.indexLines();
    for (let length = path.length; length > 0; length--) {
      const line = this.lines.get(pathKey(path.slice(0, length)));
      if (line !== undefined) return line;
    }
    return 1;
  }

  /** One pass over the tree (iterative, in document order), so looking up every problem of a
   *  large file stays linear in its size. */
  private indexLines(): Map<string, number> {
    const lines = new Map<string, number>();
    const record = (path: Path, node: AST.TOMLNode) => {
      const key = pathKey(path);
      if (!lines.has(key)) lines.set(key, node.loc.start.line);
    };
    const pending: { node: AST.TOMLNode; at: Path }[] = [];
    const top = this.ast.body[0];
    for (const item of [...(top?.body ?? [])].reverse()) pending.push({ node: item, at: [] });
    for (let entry = pending.pop(); entry; entry = pending.pop()) {
      const { node, at } = entry;
      if (node.type === 'TOMLTable') {
        record(node.resolvedKey, node);
        for (const kv of [...node.body].reverse()) pending.push({ node: kv, at: node.resolvedKey });
      } else if (node.type === 'TOMLKeyValue') {
        const full = [...at, ...node.key.keys.map((k) => (k.type === 'TOMLBare' ? k.name : k.value))];
        record(full, node);
        pending.push({ node: node.value, at: full });
      } else if (node.type === 'TOMLInlineTable') {
        for (const kv of [...node.body].reverse()) pending.push({ node: kv, at });
      } else if (node.type === 'TOMLArray') {
        for (let index = node.elements.length - 1; index >= 0; index--) {
          const element = node.elements[index]!;
          record([...at, index], element);
          pending.push({ node: element, at: [...at, index] });
        }
      }
    }
    return lines;
  }
}

function pathKey(path: Path): string {
  return JSON.stringify(path);
}
