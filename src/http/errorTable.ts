import type { components } from '../../generated/openapi';
import { ERROR_CODES } from '../errorCatalogue';
import { AppError, isAppError } from '../errors';

export type ErrorResponse = components['schemas']['ErrorResponse'];

export interface ErrorReply {
  status: number;
  contentType: 'application/json';
  headers: Record<string, string>;
  body: ErrorResponse;
  /** What reached the table, for the log line: an AppError, or the unexpected error it replaced. */
  error: AppError;
  cause?: unknown;
}

/** The reply for any failure: an AppError as the catalogue (src/errorCatalogue.ts) says, anything else a 500. */
export function errorReply(err: unknown, retryAfterSeconds: number): ErrorReply {
  const appError = isAppError(err) ? err : new AppError('internal', [], {}, { cause: err });
  const { status, message, retry } = ERROR_CODES[appError.code];
  const headers: Record<string, string> = { ...appError.headers };
  // A 429 brings its own Retry-After, agreeing with its RateLimit header.
  if (retry === 'after Retry-After' && !('Retry-After' in headers)) headers['Retry-After'] = String(retryAfterSeconds);
  if (status === 401) headers['WWW-Authenticate'] = 'Bearer realm="appointment-webhooks"';
  return {
    status,
    contentType: 'application/json',
    headers,
    body: { status: 'error', message, errors: appError.details },
    error: appError,
    cause: isAppError(err) ? appError.cause : err,
  };
}
