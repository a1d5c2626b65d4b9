import type { OperationHandler } from '../http/exchange';
import type { Metrics } from '../metrics';

export interface MetricsDeps {
  metrics: Metrics;
}

export function getMetrics({ metrics }: MetricsDeps): OperationHandler {
  return async () => ({ status: 200, contentType: metrics.registry.contentType, body: await metrics.registry.metrics() });
}
