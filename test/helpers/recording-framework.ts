import type { Framework } from '../../src/plugin/conformance/index.js';

/** What became of one check: passed, failed with its message, or skipped with its reason. */
export interface CheckOutcome {
  name: string;
  outcome: 'pass' | 'fail' | 'skip';
  message?: string;
}

/**
 * A test framework for the conformance kit that records instead of reporting: describe bodies run
 * at once, then every before hook, every check in order, every after hook (the kit's hooks sit at
 * the top and at the end of its suites, so that is mocha's order for it).
 */
export class RecordingFramework implements Framework {
  readonly suites: string[] = [];
  private readonly befores: (() => unknown)[] = [];
  private readonly afters: (() => unknown)[] = [];
  private readonly checks: { name: string; body: (this: { skip(reason?: string): void; timeout(ms: number): void }) => unknown }[] = [];

  describe = (name: string, body: () => void): void => {
    this.suites.push(name);
    body();
  };
  it = (name: string, body: (typeof this.checks)[number]['body']): void => {
    this.checks.push({ name, body });
  };
  before = (body: () => unknown): void => {
    this.befores.push(body);
  };
  after = (body: () => unknown): void => {
    this.afters.push(body);
  };

  async run(): Promise<CheckOutcome[]> {
    for (const hook of this.befores) await hook();
    const outcomes: CheckOutcome[] = [];
    for (const check of this.checks) {
      let skipped: string | undefined;
      const context = { skip: (reason?: string) => void (skipped = reason ?? ''), timeout: () => undefined };
      try {
        await check.body.call(context);
        outcomes.push(skipped === undefined ? { name: check.name, outcome: 'pass' } : { name: check.name, outcome: 'skip', message: skipped });
      } catch (error) {
        outcomes.push({ name: check.name, outcome: 'fail', message: (error as Error).message });
      }
    }
    for (const hook of this.afters) await hook();
    return outcomes;
  }
}
