/**
 * The conformance kit on Node's built-in test runner, for `pie-trtllm conformance DIR`: plugin
 * authors need no test framework of their own. Run as `node --test` on this file, with the plugin
 * folder in PIE_CONFORMANCE_DIR.
 */
import { after, before, describe, it } from 'node:test';
import { defineDriverConformance, type Framework } from './index.js';

const packageDir = process.env.PIE_CONFORMANCE_DIR;
if (!packageDir) throw new Error('PIE_CONFORMANCE_DIR names the plugin package folder');

const framework: Framework = {
  describe: (name, body) => describe(name, body),
  // The kit's checks take mocha's `this` (skip, timeout); node:test hands a context instead.
  it: (name, body) => it(name, { timeout: 300_000 }, (t) => body.call({ skip: (reason?: string) => t.skip(reason), timeout: () => undefined }) as Promise<void> | void),
  before: (body) => before(body as () => Promise<void>),
  after: (body) => after(body as () => Promise<void>),
};

defineDriverConformance({ packageDir, framework });
