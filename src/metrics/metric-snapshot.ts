import type { Attributes } from '@opentelemetry/api';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { metricsSdk } from './metrics-sdk.js';

const { DataPointType, MetricReader } = metricsSdk().sdk;

/** One series of an instrument: a sum or gauge value, or a histogram's count, sum, min and max. */
export interface SeriesFigure {
  attributes: Attributes;
  value?: number;
  count?: number;
  sum?: number;
  min?: number;
  max?: number;
}

export interface MetricFigure {
  name: string;
  unit: string;
  series: SeriesFigure[];
}

/** Collected metrics as plain JSON (what `generate --json` prints under `metrics`). */
export function metricFigures(collected: ResourceMetrics): MetricFigure[] {
  const figures: MetricFigure[] = [];
  for (const scope of collected.scopeMetrics) {
    for (const metric of scope.metrics) {
      const series: SeriesFigure[] = [];
      for (const point of metric.dataPoints) {
        if (metric.dataPointType === DataPointType.HISTOGRAM) {
          const value = point.value as { count: number; sum?: number; min?: number; max?: number };
          series.push({ attributes: point.attributes, count: value.count, sum: value.sum, min: value.min, max: value.max });
        } else if (typeof point.value === 'number') {
          series.push({ attributes: point.attributes, value: point.value });
        }
      }
      figures.push({ name: metric.descriptor.name, unit: metric.descriptor.unit, series });
    }
  }
  return figures;
}

/** A reader that collects when asked (a command that reports its figures once, at its end). */
export class OnDemandReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }

  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }

  async figures(): Promise<MetricFigure[]> {
    const { resourceMetrics, errors } = await this.collect();
    if (errors.length > 0) throw new Error(`collecting metrics failed: ${errors.map((e) => (e as Error).message ?? String(e)).join('; ')}`);
    return metricFigures(resourceMetrics);
  }
}
