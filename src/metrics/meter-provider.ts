import { type MeterProvider, metrics } from '@opentelemetry/api';
import type { DependencyContainer } from 'tsyringe';

/**
 * Where a host binds the OpenTelemetry `MeterProvider` the driver records to:
 * `container.register(METER_PROVIDER, { useValue: provider })` in the container it registers
 * plugins in. Without one the driver uses the global provider, which is a no-op until someone
 * sets one (`metrics.setGlobalMeterProvider`), so an unobserved driver pays nothing.
 */
export const METER_PROVIDER = Symbol.for('pie.MeterProvider');

/** The meter name the driver's instruments are created under. */
export const METER_NAME = 'pie-driver-tensorrt-llm';

export function meterProviderIn(container: DependencyContainer): MeterProvider {
  return container.isRegistered(METER_PROVIDER, true) ? container.resolve<MeterProvider>(METER_PROVIDER) : metrics.getMeterProvider();
}
