import { terminalSafe, terminalSafeJson } from '../runtime/terminal-text.js';

/** Where the CLI writes, and whether it may decorate what it writes. */
export interface Output {
  /** A line of data on stdout, as it is (JSON, the serve protocol). */
  out(line: string): void;
  /** A line for people on stdout: names and paths from configurations are shown terminal-safe. */
  text(line: string): void;
  err(line: string): void;
  /** True when stderr is a terminal that can redraw (not TERM=dumb) and NO_COLOR is unset. */
  readonly interactive: boolean;
}

export const processOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  text: (line) => process.stdout.write(`${terminalSafe(line)}\n`),
  // Messages quote names and paths from configurations: shown terminal-safe.
  // A message of several lines (a problem list, a runtime's last output) keeps its lines; each is
  // made terminal-safe on its own.
  err: (line) => process.stderr.write(`${line.split('\n').map(terminalSafe).join('\n')}\n`),
  get interactive() {
    return Boolean(process.stderr.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  },
};

/** JSON for a terminal too: what a terminal would act on or reorder by is written as \u escapes. */
export function printJson(output: Output, value: unknown): void {
  output.out(terminalSafeJson(JSON.stringify(value, null, 2)));
}
