import type { Context } from 'openapi-backend';
import type { AuthenticatedPartner } from '../auth/authenticate';
import { hashApiKey, sameDigest } from '../auth/credentials';
import { bearerToken } from '../auth/presentedKey';
import { AppError } from '../errors';
import { rateLimitHeaders, type Decision, type Policy, type TokenBuckets } from '../limits/tokenBuckets';
import type { Exchange } from './exchange';
import { rawBodyOf } from './requestHooks';

type Authenticate = (headers: Exchange['req']['headers'], rawBody: () => Promise<Buffer>) => Promise<AuthenticatedPartner>;

export interface RateLimits {
  /** One bucket per partner. */
  partners: TokenBuckets;
  partnerPolicy: (partner: AuthenticatedPartner) => Policy;
  /** One bucket per client address, spent only by requests that fail authentication. */
  addresses: TokenBuckets;
  addressPolicy: Policy;
}

function rateLimited(decision: Decision, loc: string[]): AppError {
  return new AppError(
    'rate_limited',
    [
      {
        loc,
        msg: 'rate limit exceeded',
        type: 'rate_limit_exceeded',
        ctx: { limit_per_second: decision.policy.ratePerSecond, burst: decision.policy.burst },
      },
    ],
    { ...rateLimitHeaders(decision), 'Retry-After': String(decision.retryAfterSeconds) },
  );
}

/**
 * Both schemes of openapi.yaml (bearer and X-API-Key) resolve the same credentials, so they share
 * one authentication per request. Around it sit the rate limits: an address that keeps failing
 * authentication is slowed down before its keys are even looked up, and an authenticated
 * partner spends from its own bucket. A refusal is kept on the exchange: openapi-backend turns
 * every failed security handler into "unauthorized", and the unauthorized handler answers with
 * the real reason (401, 429, 503 when the partner could not be looked up, 413 for a signed body).
 */
/** GET /metrics: a bearer token of its own, compared in constant time; no token configured, no access. */
function metricsTokenHandler(token: string | undefined) {
  const expected = token ? hashApiKey(token) : undefined;
  return (_c: Context, exchange: Exchange): true => {
    const presented = bearerToken(exchange.req.headers.authorization);
    if (expected && presented && sameDigest(expected, hashApiKey(presented))) return true;
    const failure = new AppError('unauthorized', [{ loc: ['header', 'authorization'], msg: 'the metrics token is required', type: 'auth_error.invalid_key' }]);
    exchange.authFailure = failure;
    throw failure;
  };
}

export function securityHandlers(authenticate: Authenticate, bodyLimitBytes: number, limits: RateLimits, metricsToken?: string) {
  async function run(exchange: Exchange): Promise<AuthenticatedPartner> {
    const address = exchange.req.socket.remoteAddress ?? 'unknown';
    const before = limits.addresses.peek(address, limits.addressPolicy);
    if (before.remaining < 1) throw rateLimited(before, ['client']);

    let partner: AuthenticatedPartner;
    try {
      partner = await authenticate(exchange.req.headers, () => rawBodyOf(exchange, bodyLimitBytes));
    } catch (err) {
      if (err instanceof AppError && err.code === 'unauthorized') limits.addresses.take(address, limits.addressPolicy);
      throw err;
    }
    const decision = limits.partners.take(partner.name, limits.partnerPolicy(partner));
    exchange.rateLimit = decision;
    if (!decision.allowed) throw rateLimited(decision, ['header', 'authorization']);
    return partner;
  }

  const once = (_c: Context, exchange: Exchange): Promise<AuthenticatedPartner> => {
    exchange.authentication ??= run(exchange).then(
      (partner) => (exchange.partner = partner),
      (err: unknown) => {
        exchange.authFailure = err;
        throw err;
      },
    );
    return exchange.authentication;
  };
  return { bearerAuth: once, apiKeyHeader: once, metricsToken: metricsTokenHandler(metricsToken) };
}
