import type { ResolvedDriverConfig } from '../config/resolved-config.js';

/** Spin budgets of Pie's `ipc_profile`, in microseconds (the runtime reads the same table). */
const PROFILE_SPIN_MICROS: Record<string, number> = { latency: Number.POSITIVE_INFINITY, balanced: 1000, power: 0 };

/**
 * How long the host keeps its event loop polling for a reply that is due, rather than sleeping
 * until the kernel wakes it: `spin_budget_us` when set, else the `ipc_profile`'s budget. On a
 * virtual machine a sleeping process can take a millisecond to wake; polling trades that for CPU
 * time, exactly as the runtime does while it waits for the next request.
 */
export function replyPollingMicros(driver: Pick<ResolvedDriverConfig, 'ipc_profile' | 'spin_budget_us'>): number {
  if (driver.spin_budget_us !== undefined) return driver.spin_budget_us;
  return PROFILE_SPIN_MICROS[driver.ipc_profile] ?? PROFILE_SPIN_MICROS.balanced!;
}
