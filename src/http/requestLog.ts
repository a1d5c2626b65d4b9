import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { InternalFault } from '../errors';
import type { ErrorReply } from './errorTable';

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
 * Gives every request an id of the service's own making, echoes it in X-Request-Id, and writes
 * one line when the response is done: 4xx as a warning, 5xx as an error. An X-Request-Id the
 * client sends is ignored, never logged: it could carry anything, a key or a patient id among
 * them. Only the method, the matched operation, the status, error types and locations are
 * logged; never a body, a path, a header value or a query.
 */
export function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const requestId = randomUUID();
    res.setHeader('X-Request-Id', requestId);
    Object.assign(res.locals, { requestId, log: logger.child({ req_id: requestId }) } satisfies RequestLocals);

    res.on('finish', () => {
      // A listener that threw would take the process down with it: logging must never do that.
      try {
        writeLine(req, res, started);
      } catch (err) {
        logger.error({ req_id: requestId, cause: describe(err) }, 'request log line failed');
      }
    });
    next();
  };
}

function writeLine(req: Request, res: Response, started: bigint): void {
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
}

/**
 * Server-side detail of an unexpected failure: its class, codes and stack frames. The message is
 * kept only when the service wrote it (InternalFault): a library's message may quote what it was
 * given (a document, a value), which here is patient data.
 */
export function describe(err: unknown, depth = 0): Record<string, unknown> | undefined {
  if (!(err instanceof Error)) return err === undefined ? undefined : { value: typeof err };
  const { code, codeName } = err as { code?: unknown; codeName?: unknown };
  // The stack starts with "Name: message", which may span lines (one could even begin with "at").
  const messageLines = String(err.message).split('\n').length;
  const frames = (err.stack ?? '')
    .split('\n')
    .slice(messageLines)
    .filter((line) => line.trimStart().startsWith('at '))
    .map((line) => line.trim());
  return {
    name: err.name,
    ...(code !== undefined ? { code } : {}),
    ...(codeName !== undefined ? { codeName } : {}),
    ...(err instanceof InternalFault ? { message: err.message } : {}),
    stack: frames,
    ...(depth < 3 && err.cause !== undefined ? { cause: describe(err.cause, depth + 1) } : {}),
  };
}
