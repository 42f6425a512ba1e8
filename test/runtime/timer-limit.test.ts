import { expect } from 'chai';
import { readyTimeoutMs } from '../../src/cli/ready-timeout.js';
import { ConfigError } from '../../src/config/config-error.js';
import { Tokens } from '../../src/driver/tokens.js';
import { checkPolicy, defaultPolicy } from '../../src/runtime/supervisor-policy.js';
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
      // The backoff base may not pass its maximum: both at the longest.
      const longest = { ...defaultPolicy, [key]: LONGEST, ...(key === 'backoffBaseMs' ? { backoffMaxMs: LONGEST } : {}) };
      expect(() => simulatedDriver({ setup: (c) => c.register(Tokens.SupervisorPolicy, { useValue: longest }) }), key).not.to.throw();
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

  describe('every other field of a host-bound supervisor policy', () => {
    const refused = (policy: unknown) => {
      try {
        simulatedDriver({ setup: (c) => c.register(Tokens.SupervisorPolicy, { useValue: policy }) });
      } catch (error) {
        expect(error).to.be.instanceOf(ConfigError);
        return (error as ConfigError).problems;
      }
      return [];
    };

    for (const key of ['maxInFlight', 'maxCrashes'] as const) {
      it(`${key}: 1 is taken; 0, a fraction, a negative, NaN, a string or missing is refused, naming the field`, () => {
        expect(refused({ ...defaultPolicy, [key]: 1 })).to.deep.equal([]);
        for (const value of [0, 0.5, 1.5, -1, NaN, Infinity, '2', undefined]) {
          expect(refused({ ...defaultPolicy, [key]: value }), String(value)).to.deep.equal([
            { path: `SupervisorPolicy.${key}`, message: `must be a whole number of at least 1, found ${String(value)}` },
          ]);
        }
      });
    }

    it('a misspelt field is refused with the names of the real ones; every problem is named at once', () => {
      const { maxInFlight: _, ...rest } = defaultPolicy;
      expect(refused({ ...rest, maxInflight: 4, requestTimeoutMs: 0 })).to.deep.equal([
        { path: 'SupervisorPolicy."maxInflight"', message: 'is not a policy field; the fields are maxInFlight, maxCrashes, requestTimeoutMs, crashWindowMs, backoffBaseMs, backoffMaxMs, shutdownGraceMs' },
        { path: 'SupervisorPolicy.maxInFlight', message: 'must be a whole number of at least 1, found undefined' },
        { path: 'SupervisorPolicy.requestTimeoutMs', message: 'must be a positive number, found 0' },
      ]);
    });

    it('a backoff base above its maximum is refused; equal is taken', () => {
      expect(refused({ ...defaultPolicy, backoffBaseMs: 500, backoffMaxMs: 500 })).to.deep.equal([]);
      expect(refused({ ...defaultPolicy, backoffBaseMs: 501, backoffMaxMs: 500 })).to.deep.equal([
        { path: 'SupervisorPolicy.backoffBaseMs', message: 'must not be above backoffMaxMs (500), found 501' },
      ]);
    });

    it('a policy that is not an object is refused', () => {
      for (const value of [5, 'fast']) {
        expect(refused(value)[0]!.message, String(value)).to.match(/^must be an object with maxInFlight, maxCrashes, /);
      }
      expect(() => checkPolicy(null as never)).to.throw(ConfigError, /^SupervisorPolicy: must be an object with maxInFlight, maxCrashes, .*found null$/);
    });
  });
});
