import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { cliPath } from './package-paths.js';

/** `pie-trtllm serve --stdio` as a host would drive it: one JSON line out, one JSON line back. */
export class ServeSession {
  readonly child: ChildProcess;
  stderr = '';
  private readonly lines: string[] = [];
  private readonly waiters: ((line: string | undefined) => void)[] = [];
  private ended = false;
  readonly exited: Promise<number | null>;

  /** `cli`: the CLI to run (an installed package's, say); this checkout's by default. */
  constructor(args: string[], env: NodeJS.ProcessEnv = {}, cli = cliPath) {
    this.child = spawn(process.execPath, [cli, 'serve', '--stdio', ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.child.stderr!.on('data', (d) => (this.stderr += d));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter(line);
      else this.lines.push(line);
    }).on('close', () => {
      this.ended = true;
      for (const w of this.waiters.splice(0)) w(undefined);
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  send(message: unknown): void {
    this.child.stdin!.write(`${typeof message === 'string' ? message : JSON.stringify(message)}\n`);
  }

  next(): Promise<Record<string, any>> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(JSON.parse(line));
    if (this.ended) return Promise.reject(new Error(`serve ended; stderr:\n${this.stderr}`));
    return new Promise((resolve, reject) => this.waiters.push((l) => (l === undefined ? reject(new Error(`serve ended; stderr:\n${this.stderr}`)) : resolve(JSON.parse(l)))));
  }

  async call(message: Record<string, unknown>): Promise<Record<string, any>> {
    this.send(message);
    return this.next();
  }

  endInput(): void {
    this.child.stdin!.end();
  }
}
