import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { DependencyContainer } from 'tsyringe';
import { METER_PROVIDER } from '../src/metrics/meter-provider.js';
import { OnDemandReader } from '../src/metrics/metric-snapshot.js';

/** How often the bench's reader collects, as a scrape would (every 15 s is usual; 1 s is harsh). */
const COLLECT_EVERY_MS = 1000;

/**
 * With BENCH_METER_PROVIDER=1 every bench driver records to an OpenTelemetry SDK MeterProvider,
 * collected every second as a Prometheus scrape would: the same figures with and without one
 * say what the instruments cost on the decode path.
 */
export const meterProviderOn = process.env.BENCH_METER_PROVIDER === '1';

export function bindBenchMeter(container: DependencyContainer): void {
  if (!meterProviderOn) return;
  const reader = new OnDemandReader();
  const provider = new MeterProvider({ readers: [reader] });
  const timer = setInterval(() => void reader.figures().catch(() => undefined), COLLECT_EVERY_MS);
  timer.unref();
  container.register(METER_PROVIDER, { useValue: provider });
}
