/**
 * The conformance kit on Node's built-in test runner, for `pie-trtllm conformance DIR`: plugin
 * authors need no test framework of their own. Run as `node --test` on this file, with the plugin
 * folder in PIE_CONFORMANCE_DIR. The name of every check is recorded as it is defined, so the
 * reporter can fail a run in which some never reported.
 */
import { after, before, describe, it } from 'node:test';
import { defineDriverConformance, type Framework } from './index.js';
import { recordExpected } from './run-record.js';

const packageDir = process.env.PIE_CONFORMANCE_DIR;
if (!packageDir) throw new Error('PIE_CONFORMANCE_DIR names the plugin package folder');

const defined: string[] = [];
const framework: Framework = {
  describe: (name, body) => describe(name, body),
  // The kit's checks take mocha's `this` (skip, timeout); node:test hands a context instead.
  it: (name, body) => {
    defined.push(name);
    return it(name, { timeout: 300_000 }, (t) => body.call({ skip: (reason?: string) => t.skip(reason), timeout: () => undefined }) as Promise<void> | void);
  },
  before: (body) => before(body as () => Promise<void>),
  after: (body) => after(body as () => Promise<void>),
};

defineDriverConformance({ packageDir, framework });
recordExpected(defined);

// Once every check has ended, something the plugin left (a timer, a server, a child's pipe) must
// not keep this process, and with it the run, alive: it ends a few seconds later, time enough for
// the runner to have every result.
after(() => {
  setTimeout(() => process.exit(), 5_000).unref();
});
