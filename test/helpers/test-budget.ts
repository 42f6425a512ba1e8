/** `npm run test:long` sets PIE_LONG_TESTS=1: property, fault and load tests then run their long versions. */
export const longRun = process.env.PIE_LONG_TESTS === '1';

export function budget<T>(short: T, long: T): T {
  return longRun ? long : short;
}
