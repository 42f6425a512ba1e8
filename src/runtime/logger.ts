import { terminalSafe } from './terminal-text.js';

/** Where the driver's own and its runtimes' log lines go. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A line a runtime process wrote to stdout or stderr. */
  runtime(device: string, line: string): void;
}

/** Writes to stderr, leaving stdout to the program's output (serve's protocol, generate's tokens).
 *  Every line is terminal-safe: a model name or a runtime's output cannot forge or split lines. */
export class StderrLogger implements Logger {
  constructor(private readonly verbose = process.env.PIE_TRTLLM_VERBOSE === '1') {}
  info(message: string): void {
    if (this.verbose) process.stderr.write(`[pie-trtllm] ${terminalSafe(message)}\n`);
  }
  warn(message: string): void {
    process.stderr.write(`[pie-trtllm] warning: ${terminalSafe(message)}\n`);
  }
  error(message: string): void {
    process.stderr.write(`[pie-trtllm] error: ${terminalSafe(message)}\n`);
  }
  runtime(device: string, line: string): void {
    if (this.verbose) process.stderr.write(`[runtime ${terminalSafe(device)}] ${terminalSafe(line)}\n`);
  }
}

/** Keeps lines in memory; for tests and for callers that show logs elsewhere. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  info(message: string): void {
    this.lines.push(`info: ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warn: ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error: ${message}`);
  }
  runtime(device: string, line: string): void {
    this.lines.push(`runtime ${device}: ${line}`);
  }
}
