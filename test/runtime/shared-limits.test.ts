import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Sampler } from '../../src/capabilities/forward-types.js';
import { ReplayTracker } from '../../src/capabilities/replay-tracker.js';
import { RequestGate } from '../../src/capabilities/request-gate.js';
import { answer } from '../../src/cli/commands/serve-command.js';
import { MAX_FRAME_BYTES } from '../../src/runtime/frame-codec.js';
import { batchOf } from '../helpers/driver-fixture.js';
import { fixtures } from '../helpers/package-paths.js';

/** The limits the host and the runtime must agree on, from the table both test suites read
 *  (python/tests/test_shared_limits.py reads it too). */
const limits = JSON.parse(readFileSync(join(fixtures, 'shared-limits.json'), 'utf8')) as { max_frame_bytes: number; json_safe_id_limit: number };

describe('limits shared with the runtime', () => {
  it('sends and reads frames up to the shared limit', () => {
    expect(MAX_FRAME_BYTES).to.equal(limits.max_frame_bytes);
  });

  it('serve echoes an id one below the limit and refuses the limit itself, as the runtime does', async () => {
    const below = await answer({} as never, { id: limits.json_safe_id_limit - 1, op: 'no-such-op' });
    expect(below.reply.id).to.equal(limits.json_safe_id_limit - 1);
    const at = await answer({} as never, { id: limits.json_safe_id_limit, op: 'no-such-op' });
    expect(at.reply.id).to.equal(null);
    expect((at.reply.error as { code: string }).code).to.equal('INVALID_REQUEST');
  });
});

describe('sampler verdicts shared with the runtime', () => {
  const { samplers } = JSON.parse(readFileSync(join(fixtures, 'shared-limits.json'), 'utf8')) as { samplers: { sampler: Sampler; verdict: string }[] };
  const gate = new RequestGate(new ReplayTracker());

  it('gives each sampler of the shared table its verdict, as the runtime does', () => {
    const verdicts = samplers.map(({ sampler }) => {
      const [result] = gate.classify(batchOf([[1, [1, 2], 0, sampler]])).results;
      return result === undefined ? 'OK' : (result as { error: { code: string } }).error.code;
    });
    expect(verdicts).to.deep.equal(samplers.map((s) => s.verdict));
  });
});
