import type { Context } from 'openapi-backend';
import type { AuthenticatedPartner } from '../auth/authenticate';
import type { Exchange } from './exchange';
import { rawBodyOf } from './requestHooks';

type Authenticate = (headers: Exchange['req']['headers'], rawBody: () => Promise<Buffer>) => Promise<AuthenticatedPartner>;

/**
 * Both schemes of openapi.yaml (bearer and X-API-Key) resolve the same credentials, so they share
 * one authentication per request. A refusal is kept on the exchange: openapi-backend turns every
 * failed security handler into "unauthorized", and the unauthorized handler answers with the
 * real reason (401, or 503 when the partner could not be looked up, or 413 for a signed body).
 */
export function securityHandlers(authenticate: Authenticate, bodyLimitBytes: number) {
  const once = (_c: Context, exchange: Exchange): Promise<AuthenticatedPartner> => {
    exchange.authentication ??= authenticate(exchange.req.headers, () => rawBodyOf(exchange, bodyLimitBytes)).then(
      (partner) => (exchange.partner = partner),
      (err: unknown) => {
        exchange.authFailure = err;
        throw err;
      },
    );
    return exchange.authentication;
  };
  return { bearerAuth: once, apiKeyHeader: once };
}
