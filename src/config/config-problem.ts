/** One thing wrong with a configuration, located by its TOML path. */
export interface ConfigProblem {
  /** TOML path, e.g. `model[0].driver.options.lookahead_tokens`. */
  path: string;
  /** What was expected and what was found, in one sentence. */
  message: string;
  /** 1-based line in the file, when the file is known. */
  line?: number;
}

/** `path: message`, with ` (file:line)` after it when the file and line are known; one line. */
export function formatProblem(problem: ConfigProblem, file?: string): string {
  return `${problem.path}: ${problem.message}${file && problem.line ? ` (${file}:${problem.line})` : ''}`;
}

/** Joins instance-path segments the way TOML users write them: `model[0].driver.options.x`. */
export function tomlPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${/^[A-Za-z0-9_-]+$/.test(segment) ? segment : JSON.stringify(segment)}` : segment;
  }
  return out;
}

/** The segments of a path `tomlPath` wrote, quoted keys (which may hold `.` or `[`) included. */
export function pathSegments(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === '.') i++;
    if (path[i] === '[') {
      const end = path.indexOf(']', i);
      segments.push(Number(path.slice(i + 1, end)));
      i = end + 1;
    } else if (path[i] === '"') {
      // A JSON string: find its closing quote, skipping escaped characters.
      let end = i + 1;
      while (end < path.length && path[end] !== '"') end += path[end] === '\\' ? 2 : 1;
      segments.push(JSON.parse(path.slice(i, end + 1)) as string);
      i = end + 1;
    } else {
      let end = i;
      while (end < path.length && path[end] !== '.' && path[end] !== '[') end++;
      segments.push(path.slice(i, end));
      i = end;
    }
  }
  return segments;
}
