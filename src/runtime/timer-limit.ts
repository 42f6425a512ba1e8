/** The longest delay Node's timers hold (a signed 32-bit count of milliseconds): a longer one
 *  fires after 1 ms, with a warning, instead of never. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Why `ms` cannot be a timer's delay, or undefined when it can (positive, at most the limit). */
export function timerProblem(ms: number): string | undefined {
  if (typeof ms !== 'number' || !(ms > 0)) return `must be a positive number, found ${String(ms)}`;
  if (ms > MAX_TIMER_MS) return `must be at most ${MAX_TIMER_MS} ms (about 24.8 days, the longest timer Node holds), found ${ms}`;
  return undefined;
}
