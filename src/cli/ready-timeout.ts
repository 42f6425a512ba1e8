import { MAX_TIMER_MS } from '../runtime/timer-limit.js';
import { CliError } from './cli-error.js';

/** `--ready-timeout SECONDS` (or $PIE_TRTLLM_READY_TIMEOUT_S) in milliseconds; undefined for the default. */
export function readyTimeoutMs(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = flag ?? env.PIE_TRTLLM_READY_TIMEOUT_S;
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new CliError(`--ready-timeout must be a positive number of seconds, found ${JSON.stringify(text)}`, 2);
  if (seconds * 1000 > MAX_TIMER_MS) {
    throw new CliError(`--ready-timeout must be at most ${MAX_TIMER_MS / 1000} seconds (about 24.8 days, the longest timer Node holds), found ${JSON.stringify(text)}`, 2);
  }
  return seconds * 1000;
}
