import { createRequire } from 'node:module';
import type * as Exporter from '@opentelemetry/exporter-prometheus';
import type * as Resources from '@opentelemetry/resources';
import type * as SdkMetrics from '@opentelemetry/sdk-metrics';

/** The OpenTelemetry SDK pieces the driver's own metrics (serve's endpoint, generate's figures) are made of. */
export interface MetricsSdk {
  exporter: typeof Exporter;
  sdk: typeof SdkMetrics;
  resources: typeof Resources;
}

let loaded: MetricsSdk | undefined;

/**
 * The Prometheus exporter and the very SDK it was built with. The exporter pins its sdk-metrics and
 * resources exactly, so this package depends on the exporter alone and loads those two from beside
 * it: a provider, a reader and the exporter made here always come from one SDK, whatever SDK the
 * host installs for itself (a host's metrics reach the driver through the API only). Loaded on
 * first use, so a host that never asks for an endpoint never loads the SDK.
 */
export function metricsSdk(): MetricsSdk {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    const besideExporter = createRequire(require.resolve('@opentelemetry/exporter-prometheus'));
    loaded = {
      exporter: require('@opentelemetry/exporter-prometheus') as typeof Exporter,
      sdk: besideExporter('@opentelemetry/sdk-metrics') as typeof SdkMetrics,
      resources: besideExporter('@opentelemetry/resources') as typeof Resources,
    };
  }
  return loaded;
}
