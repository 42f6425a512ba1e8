import { expect } from 'chai';
import { readyTimeoutMs } from '../../src/cli/ready-timeout.js';
import { ConfigError } from '../../src/config/config-error.js';
import { Tokens } from '../../src/driver/tokens.js';
import { defaultPolicy } from '../../src/runtime/runtime-supervisor.js';
import { simulatedDriver } from '../helpers/driver-fixture.js';

// Node keeps a timer's delay in a signed 32-bit count of milliseconds: 2^31 - 1 is the longest.
const LONGEST = 2147483647;

describe('timer limits', () => {
  it('takes a ready timeout of exactly the longest timer and refuses one past it, in seconds on the command line', () => {
    expect(readyTimeoutMs('2147483.647', {})).to.equal(LONGEST);
    expect(readyTimeoutMs('2147483', {})).to.equal(2147483000);
    for (const text of ['2147483.648', '2147484', '1e300']) {
      expect(() => readyTimeoutMs(text, {}), text).to.throw(`--ready-timeout must be at most 2147483.647 seconds (about 24.8 days, the longest timer Node holds), found "${text}"`);
    }
    expect(() => readyTimeoutMs(undefined, { PIE_TRTLLM_READY_TIMEOUT_S: '2147484' })).to.throw(/at most 2147483.647 seconds/);
  });

  it('refuses a library ready timeout past the longest timer with CONFIG_INVALID when the driver is created', () => {
    expect(() => simulatedDriver({ readyTimeoutMs: LONGEST })).not.to.throw();
    for (const ms of [LONGEST + 1, Infinity, 0, -1, NaN]) {
      let caught: unknown;
      try {
        simulatedDriver({ readyTimeoutMs: ms });
      } catch (error) {
        caught = error;
      }
      expect(caught, String(ms)).to.be.instanceOf(ConfigError);
      expect((caught as ConfigError).code).to.equal('CONFIG_INVALID');
      expect((caught as ConfigError).problems[0]!.path).to.equal('readyTimeoutMs');
    }
  });

  it('refuses a host-bound supervisor policy whose delays Node cannot hold, naming the field', () => {
    for (const key of ['requestTimeoutMs', 'crashWindowMs', 'backoffBaseMs', 'backoffMaxMs', 'shutdownGraceMs'] as const) {
      expect(() => simulatedDriver({ setup: (c) => c.register(Tokens.SupervisorPolicy, { useValue: { ...defaultPolicy, [key]: LONGEST } }) }), key).not.to.throw();
      let error: unknown;
      try {
        simulatedDriver({ setup: (c) => c.register(Tokens.SupervisorPolicy, { useValue: { ...defaultPolicy, [key]: LONGEST + 1 } }) });
      } catch (caught) {
        error = caught;
      }
      expect(error, key).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).problems[0]).to.deep.equal({ path: `SupervisorPolicy.${key}`, message: `must be at most ${LONGEST} ms (about 24.8 days, the longest timer Node holds), found ${LONGEST + 1}` });
    }
  });
});
