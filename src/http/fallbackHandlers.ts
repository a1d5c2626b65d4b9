import type { Context, OpenAPIBackend } from 'openapi-backend';
import { AppError } from '../errors';
import { toErrorDetails } from './validationErrors';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * openapi-backend's fallbacks, all registered: without validationFail it would skip validation,
 * and each one ends in the error vocabulary so the reply is always the documented envelope.
 */
export function fallbackHandlers(api: OpenAPIBackend) {
  return {
    validationFail: (c: Context): never => {
      throw new AppError('invalid_payload', toErrorDetails(c.validation.errors ?? []));
    },
    notFound: (): never => {
      throw new AppError('not_found');
    },
    methodNotAllowed: (c: Context): never => {
      const allowed = METHODS.filter((method) => api.matchOperation({ method, path: c.request.path, headers: {} }));
      throw new AppError('method_not_allowed', [], { Allow: allowed.map((m) => m.toUpperCase()).join(', ') });
    },
    notImplemented: (c: Context): never => {
      throw new AppError('internal', [], {}, { cause: new Error(`no handler for ${c.operation.operationId}`) });
    },
    unauthorizedHandler: (): never => {
      throw new AppError('unauthorized');
    },
  };
}
