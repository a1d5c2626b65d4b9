import type { components } from '../../generated/openapi';
import { AppError, type ErrorCode } from '../errors';

export type ErrorResponse = components['schemas']['ErrorResponse'];

/** The one table from error code to HTTP. Messages are fixed: they never carry submitted values. */
const TABLE: Readonly<Record<ErrorCode, { status: number; message: string; retryAfter?: true }>> = {
  invalid_payload: { status: 422, message: 'Invalid payload structure' },
  idempotency_key_reused: { status: 422, message: 'Idempotency key already used for a different event' },
  idempotency_in_progress: { status: 409, message: 'The same event is still being stored', retryAfter: true },
  malformed_json: { status: 400, message: 'Malformed JSON body' },
  bad_request: { status: 400, message: 'Malformed request' },
  request_timeout: { status: 408, message: 'Request timeout' },
  headers_too_large: { status: 431, message: 'Request header fields too large' },
  unsupported_media_type: { status: 415, message: 'Unsupported media type' },
  payload_too_large: { status: 413, message: 'Payload too large' },
  unauthorized: { status: 401, message: 'Unauthorized' },
  rate_limited: { status: 429, message: 'Too many requests' },
  not_found: { status: 404, message: 'Not found' },
  method_not_allowed: { status: 405, message: 'Method not allowed' },
  not_implemented: { status: 501, message: 'Not implemented' },
  database_unavailable: { status: 503, message: 'Service temporarily unavailable', retryAfter: true },
  internal: { status: 500, message: 'Internal server error' },
};

export interface ErrorReply {
  status: number;
  headers: Record<string, string>;
  body: ErrorResponse;
  /** What reached the table, for the log line: an AppError, or the unexpected error it replaced. */
  error: AppError;
  cause?: unknown;
}

export function errorReply(err: unknown, retryAfterSeconds: number): ErrorReply {
  const appError = err instanceof AppError ? err : new AppError('internal', [], {}, { cause: err });
  const { status, message, retryAfter } = TABLE[appError.code];
  const headers: Record<string, string> = { ...appError.headers };
  if (retryAfter) headers['Retry-After'] = String(retryAfterSeconds);
  if (status === 401) headers['WWW-Authenticate'] = 'Bearer realm="appointment-webhooks"';
  return {
    status,
    headers,
    body: { status: 'error', message, errors: appError.details },
    error: appError,
    cause: err instanceof AppError ? appError.cause : err,
  };
}
