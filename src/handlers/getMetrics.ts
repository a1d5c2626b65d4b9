import type { Handler } from '../http/context';
import type { Metrics } from '../metrics';

export interface MetricsDeps {
  metrics: Metrics;
}

export function getMetrics({ metrics }: MetricsDeps): Handler<'getMetrics'> {
  // The registry's exposition format (text/plain; version=0.0.4) keeps its parameters.
  const parameters = metrics.registry.contentType.replace(/^text\/plain/, '');
  return async () => ({ status: 200, contentType: 'text/plain', mediaTypeParameters: parameters, body: await metrics.gather() });
}
