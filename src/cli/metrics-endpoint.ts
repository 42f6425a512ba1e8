import type { MeterProvider as ApiMeterProvider } from '@opentelemetry/api';
import { metricsSdk } from '../metrics/metrics-sdk.js';
import { CliError } from './cli-error.js';

export interface MetricsEndpoint {
  provider: ApiMeterProvider;
  url: string;
  close(): Promise<void>;
}

const SERVICE_NAME = 'pie-trtllm';

/**
 * A MeterProvider whose metrics are served in Prometheus' text format at http://host:port/metrics
 * (OpenTelemetry's Prometheus exporter). The SDK loads only when an endpoint is asked for.
 */
export async function openMetricsEndpoint(port: number, host: string): Promise<MetricsEndpoint> {
  const { sdk: { MeterProvider }, exporter: { PrometheusExporter }, resources: { resourceFromAttributes } } = metricsSdk();
  const exporter = new PrometheusExporter({ port, host, preventServerStart: true });
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': SERVICE_NAME }), readers: [exporter] });
  const shown = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${port}/metrics`;
  try {
    await exporter.startServer();
  } catch (error) {
    await provider.shutdown().catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    const fix = code === 'EADDRINUSE' ? 'another process listens there; choose another --metrics-port' : code === 'EACCES' ? 'ports below 1024 need privileges; choose a port from 1024 up' : 'check --metrics-host names an address of this machine';
    throw new CliError(`cannot serve metrics at ${url}: ${(error as Error).message}; ${fix}`, 1, { code: 'METRICS_ENDPOINT_FAILED' });
  }
  return { provider, url, close: () => provider.shutdown() };
}
