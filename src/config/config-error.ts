import { type ConfigProblem, formatProblem } from './config-problem.js';

/** A configuration that did not validate; carries every problem. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => formatProblem(p)).join('; '));
    this.name = 'ConfigError';
  }
}
