import type { Response } from 'express';
import type { Logger } from 'pino';
import { InternalFault } from '../errors';
import type { RequestContext } from './context';

/**
 * Writes one line when the response is done (through `lines`, see withoutRedaction): 4xx as a
 * warning, 5xx as an error. Only the
 * method, the matched operation, the partner's name, the status, error types and locations are
 * logged; never a body, a path, a header value or a query. The id is the service's own (see
 * RequestContext): an X-Request-Id the client sends could carry anything, a key or a patient id.
 */
export function writeLogLine(ctx: RequestContext, res: Response, lines: Logger): void {
  const { operationId, partner, consumer, error, eventId, replayed, idempotency, returned } = ctx.outcome;
  const line: Record<string, unknown> = {
    req_id: ctx.requestId,
    method: ctx.req.method,
    operation: operationId ?? null,
    partner: partner ?? null,
    status: res.statusCode,
    ms: Number(process.hrtime.bigint() - ctx.started) / 1e6,
  };
  // Reads name their consumer and how many events they returned, never what was asked for.
  if (consumer) line.consumer = consumer;
  if (returned !== undefined) line.returned = returned;
  if (eventId !== undefined) line.event_id = eventId;
  if (replayed) line.replayed = true;
  if (idempotency) line.idempotency = idempotency;
  if (error) {
    line.error = error.error.code;
    line.problems = error.body.errors.map((e) => ({ loc: e.loc, type: e.type }));
  }
  if (res.statusCode >= 500) {
    // A failure's cause is the one part not chosen field by field: it keeps the redaction.
    ctx.log.error({ ...line, cause: describe(error?.cause) }, 'request failed');
  } else if (res.statusCode >= 400) {
    lines.warn(line, 'request rejected');
  } else {
    lines.info(line, 'request completed');
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
