import type { Output } from './output.js';

/**
 * Shows long work: on a terminal one line redrawn with the elapsed time and a detail (the installer's
 * last line, say); elsewhere plain lines, one when a step starts and one when it ends.
 */
export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private started = 0;
  private label = '';
  private detail = '';

  constructor(
    private readonly output: Output,
    private readonly quiet = false,
  ) {}

  start(label: string): void {
    this.stopTimer();
    this.label = label;
    this.detail = '';
    this.started = Date.now();
    if (this.quiet) return;
    if (this.output.interactive) {
      this.draw();
      this.timer = setInterval(() => this.draw(), 100);
      this.timer.unref();
    } else {
      this.output.err(`${label}...`);
    }
  }

  /** The latest thing the work said (shown on a terminal only). */
  update(detail: string): void {
    this.detail = detail.trim().slice(0, 80);
  }

  /** Ends the current step with a ✓ or ✗ line and its elapsed time. */
  finish(ok: boolean, note = ''): number {
    this.stopTimer();
    const seconds = (Date.now() - this.started) / 1000;
    if (!this.quiet) {
      if (this.output.interactive) process.stderr.write('\r\x1b[2K');
      this.output.err(`${ok ? '✓' : '✗'} ${this.label} (${seconds.toFixed(1)} s)${note ? `: ${note}` : ''}`);
    }
    return seconds;
  }

  private draw(): void {
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    process.stderr.write(`\r\x1b[2K… ${this.label} ${seconds} s${this.detail ? `  ${this.detail}` : ''}`);
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
