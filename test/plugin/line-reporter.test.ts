import { expect } from 'chai';
import lineReporter from '../../src/plugin/conformance/line-reporter.js';

type Event = { type: string; data: { name: string; nesting: number; skip?: string | boolean; details?: { type?: string; error?: Error & { cause?: unknown } } } };

async function lines(events: Event[]): Promise<string> {
  async function* source() {
    yield* events;
  }
  let out = '';
  for await (const chunk of lineReporter(source())) out += chunk;
  return out;
}

const pass = (name: string, skip?: string | boolean): Event => ({ type: 'test:pass', data: { name, nesting: 1, ...(skip === undefined ? {} : { skip }) } });
const fail = (name: string, error?: Error & { cause?: unknown }): Event => ({ type: 'test:fail', data: { name, nesting: 1, details: error ? { error } : {} } });

describe('conformance line reporter (pie-trtllm conformance)', () => {
  it('prints a line per check and a summary; suites, other events and skip: false are not skips', async () => {
    const out = await lines([
      { type: 'test:start', data: { name: 'a', nesting: 1 } },
      pass('a'),
      pass('b', false),
      pass('c', 'skipped: no GPU'),
      pass('d', true),
      { type: 'test:pass', data: { name: 'the suite', nesting: 0, details: { type: 'suite' } } },
      { type: 'test:diagnostic', data: { name: 'tests 4', nesting: 0 } },
    ]);
    expect(out).to.equal('✓ a\n✓ b\n- c (skipped: no GPU)\n- d\n✓ conforms: 2 of 4 checks passed, 2 skipped\n');
    expect(await lines([pass('a')])).to.equal('✓ a\n✓ conforms: 1 of 1 checks passed\n');
  });

  it('gives a failed check the first line of its cause\'s message (node:test wraps the thrown error)', async () => {
    const wrapped = Object.assign(new Error('test failed'), { cause: new Error('expected one token, found 2 tokens; fix: sample one\n    at check (kit.js:1:1)') });
    const out = await lines([pass('a'), fail('b', wrapped), fail('c', new Error('plain\nsecond line')), fail('d'), fail('e', Object.assign(new Error('outer'), { cause: 'a string cause' })), pass('f', 'why')]);
    expect(out).to.equal('✓ a\n✗ b: expected one token, found 2 tokens; fix: sample one\n✗ c: plain\n✗ d: failed\n✗ e: outer\n- f (why)\n✗ 4 of 6 conformance checks failed (1 skipped)\n');
    expect(await lines([fail('a', new Error('x'))])).to.equal('✗ a: x\n✗ 1 of 1 conformance checks failed\n');
  });
});
