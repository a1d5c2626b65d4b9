import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { ErrorReply } from './errorTable';

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export interface RequestLocals {
  requestId: string;
  log: Logger;
  errorReply?: ErrorReply;
  eventId?: number;
  /** Set once routing matched: unmatched paths are not logged, as a client may put anything in them. */
  operationId?: string;
  /** The authenticated partner's name. */
  partner?: string;
  /** Set when a 201 repeated an already stored event. */
  replayed?: boolean;
  /** The event_type of a valid event (one of the five, never free text). */
  eventType?: string;
}

export function locals(res: Response): RequestLocals {
  return res.locals as RequestLocals;
}

/**
 * Gives every request an id (the caller's X-Request-Id when it is sane), echoes it, and writes one
 * line when the response is done: 4xx as a warning, 5xx as an error. Only the method, the matched
 * operation, the status, error types and locations are logged; never a body, a path, a header
 * value or a query.
 */
export function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const offered = req.get('x-request-id');
    const requestId = offered && CLIENT_REQUEST_ID.test(offered) ? offered : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    Object.assign(res.locals, { requestId, log: logger.child({ req_id: requestId }) } satisfies RequestLocals);

    res.on('finish', () => {
      const { log, errorReply, eventId, operationId, partner, replayed } = locals(res);
      const line: Record<string, unknown> = {
        method: req.method,
        operation: operationId ?? null,
        partner: partner ?? null,
        status: res.statusCode,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      };
      if (eventId !== undefined) line.event_id = eventId;
      if (replayed) line.replayed = true;
      if (errorReply) {
        line.error = errorReply.error.code;
        line.problems = errorReply.body.errors.map((e) => ({ loc: e.loc, type: e.type }));
      }
      if (res.statusCode >= 500) {
        log.error({ ...line, cause: describe(errorReply?.cause) }, 'request failed');
      } else if (res.statusCode >= 400) {
        log.warn(line, 'request rejected');
      } else {
        log.info(line, 'request completed');
      }
    });
    next();
  };
}

/** Server-side detail of an unexpected failure: its class, code and stack, never the request. */
function describe(err: unknown): Record<string, unknown> | undefined {
  if (!(err instanceof Error)) return err === undefined ? undefined : { value: typeof err };
  const code = (err as { code?: unknown }).code;
  return { name: err.name, code, message: err.message, stack: err.stack };
}
