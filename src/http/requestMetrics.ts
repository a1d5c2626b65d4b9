import type { Response } from 'express';
import type { Metrics } from '../metrics';
import type { RequestContext } from './context';

const REASONS: Record<string, string> = {
  invalid_payload: 'validation',
  unauthorized: 'auth',
  rate_limited: 'rate_limit',
  idempotency_key_reused: 'idempotency_key_reused',
};

/** Counts a reply once it is sent; reads only what the request log keeps (no values). */
export function countRequest(metrics: Metrics, ctx: RequestContext, res: Response, seconds: number): void {
  const { operationId, error, replayed, eventType } = ctx.outcome;
  const operation = operationId ?? 'none';
  metrics.requestSeconds.observe({ operation }, seconds);
  metrics.requests.inc({ operation, status: String(res.statusCode), event_type: eventType ?? 'none' });
  if (replayed) metrics.rejections.inc({ reason: 'idempotent_replay', field: 'none' });
  if (!error) return;
  const reason = REASONS[error.error.code] ?? error.error.code;
  if (reason === 'validation') {
    for (const problem of error.body.errors) metrics.rejections.inc({ reason, field: problem.loc.join('.') });
  } else {
    metrics.rejections.inc({ reason, field: 'none' });
  }
}
