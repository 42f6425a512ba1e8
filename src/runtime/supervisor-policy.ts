import { ConfigError } from '../config/config-error.js';
import type { ConfigProblem } from '../config/config-problem.js';
import { timerProblem } from './timer-limit.js';

/** How a replica's runtime is supervised. A host may bind its own (Tokens.SupervisorPolicy). */
export interface SupervisorPolicy {
  /** Most requests in flight to one runtime; a call past it waits for a reply. */
  maxInFlight: number;
  requestTimeoutMs: number;
  /** Crashes within `crashWindowMs` after which the runtime is given up. */
  maxCrashes: number;
  crashWindowMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  shutdownGraceMs: number;
}

export const defaultPolicy: SupervisorPolicy = {
  maxInFlight: 128,
  requestTimeoutMs: 120_000,
  maxCrashes: 5,
  crashWindowMs: 180_000,
  backoffBaseMs: 200,
  backoffMaxMs: 10_000,
  shutdownGraceMs: 5_000,
};

const DELAYS = ['requestTimeoutMs', 'crashWindowMs', 'backoffBaseMs', 'backoffMaxMs', 'shutdownGraceMs'] as const;
const COUNTS = ['maxInFlight', 'maxCrashes'] as const;
const FIELDS: readonly string[] = [...COUNTS, ...DELAYS];

function countProblem(value: unknown): string | undefined {
  return Number.isSafeInteger(value) && (value as number) >= 1 ? undefined : `must be a whole number of at least 1, found ${String(value)}`;
}

/** Refuses a policy a host bound that would break a replica: a delay Node's timers cannot hold
 *  (it would fire at once), a count below 1 (maxInFlight 0 makes every call wait forever), a
 *  field missing or unknown (a misspelt one would be ignored). Every problem is named. */
export function checkPolicy(policy: SupervisorPolicy): void {
  if (typeof policy !== 'object' || policy === null) {
    throw new ConfigError([{ path: 'SupervisorPolicy', message: `must be an object with ${FIELDS.join(', ')}, found ${policy === null ? 'null' : typeof policy}` }]);
  }
  const problems: ConfigProblem[] = [];
  for (const key of Object.keys(policy)) {
    if (!FIELDS.includes(key)) problems.push({ path: `SupervisorPolicy.${JSON.stringify(key)}`, message: `is not a policy field; the fields are ${FIELDS.join(', ')}` });
  }
  for (const key of COUNTS) {
    const problem = countProblem(policy[key]);
    if (problem) problems.push({ path: `SupervisorPolicy.${key}`, message: problem });
  }
  for (const key of DELAYS) {
    const problem = timerProblem(policy[key]);
    if (problem) problems.push({ path: `SupervisorPolicy.${key}`, message: problem });
  }
  if (problems.length === 0 && policy.backoffBaseMs > policy.backoffMaxMs) {
    problems.push({ path: 'SupervisorPolicy.backoffBaseMs', message: `must not be above backoffMaxMs (${policy.backoffMaxMs}), found ${policy.backoffBaseMs}` });
  }
  if (problems.length > 0) throw new ConfigError(problems);
}
