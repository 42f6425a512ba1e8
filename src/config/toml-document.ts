import { type AST, ParseError, getStaticTOMLValue, parseTOML } from 'toml-eslint-parser';

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

/**
 * Keys that name an object's prototype machinery. The parser's conversion assigns keys onto plain
 * objects, so `[__proto__]` would write into `Object.prototype` for the whole process; such keys
 * are refused on the syntax tree, before any object is built. No driver setting uses these names.
 */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Walks every key of the tree (iteratively: nesting depth is the file's to choose). */
function refusePrototypeKeys(ast: AST.TOMLProgram, file: string): void {
  const pending: AST.TOMLNode[] = [...ast.body];
  for (let node = pending.pop(); node; node = pending.pop()) {
    switch (node.type) {
      case 'TOMLTable':
        pending.push(node.key, ...node.body);
        break;
      case 'TOMLTopLevelTable':
      case 'TOMLInlineTable':
        pending.push(...node.body);
        break;
      case 'TOMLKeyValue':
        pending.push(node.key, node.value);
        break;
      case 'TOMLArray':
        pending.push(...node.elements);
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

/** A parsed TOML document that still knows where each key was written. */
export class TomlDocument {
  private constructor(
    readonly text: string,
    /** @internal the parser's syntax tree, kept out of the published types */
    readonly ast: AST.TOMLProgram,
    readonly value: Record<string, unknown>,
  ) {}

  static parse(text: string, file = '<input>'): TomlDocument {
    try {
      const ast = parseTOML(text);
      refusePrototypeKeys(ast, file);
      return new TomlDocument(text, ast, getStaticTOMLValue(ast) as Record<string, unknown>);
    } catch (error) {
      if (error instanceof ParseError) {
        // The parser's message is the reason alone; line and column come as fields.
        throw new TomlSyntaxError(file, error.lineNumber, error.column + 1, error.message);
      }
      throw error;
    }
  }

  /** The 1-based line where the deepest written part of `path` is (line 1 when none of it is). */
  lineOf(path: Path): number {
    let best: { depth: number; line: number } | undefined;
    const consider = (depth: number, node: AST.TOMLNode) => {
      if (!best || depth > best.depth) best = { depth, line: node.loc.start.line };
    };
    const top = this.ast.body[0];
    if (!top) return 1;
    for (const item of top.body) {
      if (item.type === 'TOMLTable') {
        const depth = matchLength(item.resolvedKey, path);
        if (depth === item.resolvedKey.length && depth > 0) {
          consider(depth, item);
          for (const kv of item.body) this.visitKeyValue(kv, item.resolvedKey, path, consider);
        }
      } else {
        this.visitKeyValue(item, [], path, consider);
      }
    }
    return best?.line ?? 1;
  }

  private visitKeyValue(kv: AST.TOMLKeyValue, prefix: Path, path: Path, consider: (depth: number, node: AST.TOMLNode) => void): void {
    const full = [...prefix, ...kv.key.keys.map((k) => (k.type === 'TOMLBare' ? k.name : k.value))];
    const depth = matchLength(full, path);
    if (depth < full.length) return;
    consider(depth, kv);
    this.visitValue(kv.value, full, path, consider);
  }

  private visitValue(value: AST.TOMLContentNode, at: Path, path: Path, consider: (depth: number, node: AST.TOMLNode) => void): void {
    if (value.type === 'TOMLInlineTable') {
      for (const kv of value.body) this.visitKeyValue(kv, at, path, consider);
    } else if (value.type === 'TOMLArray') {
      value.elements.forEach((element, index) => {
        const full = [...at, index];
        if (matchLength(full, path) === full.length) {
          consider(full.length, element);
          this.visitValue(element, full, path, consider);
        }
      });
    }
  }
}

function matchLength(a: Path, b: Path): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}
