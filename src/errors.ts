import type { components } from '../generated/openapi';

export type ErrorDetail = components['schemas']['ErrorDetail'];

/**
 * The service's whole error vocabulary. Every failure, wherever it happens, becomes one of these;
 * http/errorTable.ts is the one place that turns a code into a status and a response.
 */
export type ErrorCode =
  | 'invalid_payload'
  | 'idempotency_key_reused'
  | 'idempotency_in_progress'
  | 'malformed_json'
  | 'bad_request'
  | 'request_timeout'
  | 'headers_too_large'
  | 'unsupported_media_type'
  | 'unauthorized'
  | 'rate_limited'
  | 'payload_too_large'
  | 'not_found'
  | 'method_not_allowed'
  | 'not_implemented'
  | 'database_unavailable'
  | 'internal';

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly details: readonly ErrorDetail[] = [],
    /** Headers that belong to this occurrence, such as Allow. */
    readonly headers: Readonly<Record<string, string>> = {},
    options?: { cause?: unknown },
  ) {
    // An AppError is an expected outcome (a 422, a 401), not a bug: capturing its stack cost more
    // CPU than validating the request (by profile). Unexpected errors keep theirs as `cause`.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(code, options);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'AppError';
  }
}

/**
 * An unexpected failure the service describes itself (a missing build, a broken wiring). Its
 * message never holds request data, so unlike other errors' messages it may be logged.
 */
export class InternalFault extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InternalFault';
  }
}
