import type { Response } from 'express';
import type { Metrics } from '../metrics';
import type { RequestContext } from './context';

const REASONS: Record<string, string> = {
  invalid_payload: 'validation',
  unauthorized: 'auth',
  rate_limited: 'rate_limit',
  idempotency_key_reused: 'idempotency_key_reused',
};

/**
 * The labelled series each request touches, looked up once per label set: prom-client would
 * otherwise hash the label object on every call. The sets are few (operations × statuses ×
 * event types), all named by the spec.
 */
const series = new WeakMap<Metrics, { seconds: Map<string, ReturnType<Metrics['requestSeconds']['labels']>>; requests: Map<string, ReturnType<Metrics['requests']['labels']>> }>();

function seriesOf(metrics: Metrics) {
  let own = series.get(metrics);
  if (!own) series.set(metrics, (own = { seconds: new Map(), requests: new Map() }));
  return own;
}

/** Counts a reply once it is sent; reads only what the request log keeps (no values). */
export function countRequest(metrics: Metrics, ctx: RequestContext, res: Response, seconds: number): void {
  const { operationId, error, replayed, eventType } = ctx.outcome;
  const operation = operationId ?? 'none';
  const own = seriesOf(metrics);
  let timing = own.seconds.get(operation);
  if (!timing) own.seconds.set(operation, (timing = metrics.requestSeconds.labels({ operation })));
  timing.observe(seconds);
  const key = `${operation} ${res.statusCode} ${eventType ?? 'none'}`;
  let count = own.requests.get(key);
  if (!count) own.requests.set(key, (count = metrics.requests.labels({ operation, status: String(res.statusCode), event_type: eventType ?? 'none' })));
  count.inc();
  if (replayed) metrics.rejections.inc({ reason: 'idempotent_replay', field: 'none' });
  if (!error) return;
  const reason = REASONS[error.error.code] ?? error.error.code;
  if (reason === 'validation') {
    for (const problem of error.body.errors) metrics.rejections.inc({ reason, field: problem.loc.join('.') });
  } else {
    metrics.rejections.inc({ reason, field: 'none' });
  }
}
