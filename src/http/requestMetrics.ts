import type { NextFunction, Request, Response } from 'express';
import type { Metrics } from '../metrics';
import { describe, locals } from './requestLog';

const REASONS: Record<string, string> = {
  invalid_payload: 'validation',
  unauthorized: 'auth',
  rate_limited: 'rate_limit',
  idempotency_key_reused: 'idempotency_key_reused',
};

/** Counts every reply when it is sent; reads only what the request log keeps (no values). */
export function requestMetrics(metrics: Metrics) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const stop = metrics.requestSeconds.startTimer();
    res.on('finish', () => {
      // A listener that threw would take the process down with it; a lost count is the lesser harm.
      try {
        count(metrics, res, stop);
      } catch (err) {
        locals(res).log?.error({ cause: describe(err) }, 'request metrics failed');
      }
    });
    next();
  };
}

function count(metrics: Metrics, res: Response, stop: (labels: { operation: string }) => void): void {
  const { operationId, errorReply, replayed, eventType } = locals(res);
  const operation = operationId ?? 'none';
  stop({ operation });
  metrics.requests.inc({ operation, status: String(res.statusCode), event_type: eventType ?? 'none' });
  if (replayed) metrics.rejections.inc({ reason: 'idempotent_replay', field: 'none' });
  if (!errorReply) return;
  const reason = REASONS[errorReply.error.code] ?? errorReply.error.code;
  if (reason === 'validation') {
    for (const problem of errorReply.body.errors) metrics.rejections.inc({ reason, field: problem.loc.join('.') });
  } else {
    metrics.rejections.inc({ reason, field: 'none' });
  }
}
