import type { Context } from 'openapi-backend';
import { AppError, InternalFault } from '../errors';
import { securityFailure } from './openapiBackend';
import { validationError } from './validationErrors';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'patch', 'trace'];

/**
 * openapi-backend's fallbacks, all registered: without them, strict mode throws a plain Error (a 500),
 * and each one ends in the error vocabulary so the reply is always the documented envelope.
 */
export function fallbackHandlers() {
  return {
    validationFail: (c: Context): never => {
      throw validationError(c.validation.errors ?? []);
    },
    notFound: (): never => {
      throw new AppError('not_found');
    },
    methodNotAllowed: (c: Context): never => {
      const allowed = METHODS.filter((method) => c.api.matchOperation({ method, path: c.request.path, headers: {} }));
      // HEAD is served wherever GET is (see createApp).
      if (allowed.includes('get')) allowed.splice(allowed.indexOf('get') + 1, 0, 'head');
      throw new AppError('method_not_allowed', [], { Allow: allowed.map((m) => m.toUpperCase()).join(', ') });
    },
    notImplemented: (c: Context): never => {
      throw new AppError('internal', [], {}, { cause: new InternalFault(`no handler for ${c.operation.operationId}`) });
    },
    unauthorizedHandler: (c: Context): never => {
      // The security step's own reason: 401, or 429/503/413 when it could not finish.
      const failure = securityFailure(c);
      throw failure instanceof Error ? failure : new AppError('unauthorized');
    },
  };
}
