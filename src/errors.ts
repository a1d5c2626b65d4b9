import type { components } from '../generated/openapi';
import { ERROR_TYPES, type ErrorCode, type ErrorTypeOf } from './errorCatalogue';

export type { ErrorCode, ErrorType } from './errorCatalogue';

/** One problem in an error reply, its `type` one of the catalogue's (src/errorCatalogue.ts). */
export type ErrorDetail<C extends ErrorCode = ErrorCode> = Omit<components['schemas']['ErrorDetail'], 'type'> & { type: ErrorTypeOf<C> };

const CODES_OF = new Map<string, readonly ErrorCode[]>(Object.entries(ERROR_TYPES).map(([type, { codes }]) => [type, codes]));

/** True when the catalogue lists `type` under `code`. */
export function isErrorTypeOf<C extends ErrorCode>(type: string, code: C): type is ErrorTypeOf<C> {
  return CODES_OF.get(type)?.includes(code) ?? false;
}

/**
 * Every failure, wherever it happens, becomes an AppError with one of the catalogue's codes and
 * item types that belong to it; http/errorTable.ts turns it into a reply.
 */
export class AppError<C extends ErrorCode = ErrorCode> extends Error {
  constructor(
    readonly code: C,
    readonly details: readonly ErrorDetail<C>[] = [],
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

/** `instanceof` would type the code as any; this keeps it one of the catalogue's. */
export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
