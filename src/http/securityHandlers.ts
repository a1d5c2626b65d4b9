import type { Context } from 'openapi-backend';
import type { AuthenticatedPartner, AuthenticationRequest } from '../auth/authenticate';
import { hashApiKey, sameDigest } from '../auth/credentials';
import { singleBearerToken } from '../auth/presentedKey';
import { AppError } from '../errors';
import { FailedAuthentications } from '../limits/failedAuthentications';
import { rateLimitExceeded, type Policy, type TokenBuckets } from '../limits/tokenBuckets';
import type { Exchange } from './exchange';
import { rawBodyOf } from './requestHooks';
import { locals } from './requestLog';

type Authenticate = (request: AuthenticationRequest) => Promise<AuthenticatedPartner>;

export interface RateLimits {
  /** One bucket per partner, spent by every authenticated request. */
  partners: TokenBuckets;
  partnerPolicy: (partner: AuthenticatedPartner) => Policy;
  /** Budgets for failed authentications (per address, per key, per partner). */
  failures: FailedAuthentications;
}

/**
 * GET /metrics: a bearer token of its own, compared in constant time; no token configured, no
 * access. The operators choose this token, so it may be weaker than a partner key: an address
 * that keeps presenting wrong ones is refused before its next guess is even compared.
 */
function metricsTokenHandler(token: string | undefined, failures: FailedAuthentications) {
  const expected = token ? hashApiKey(token) : undefined;
  return (_c: Context, exchange: Exchange): true => {
    const address = exchange.address;
    const presented = singleBearerToken(exchange.req.headersDistinct);
    // Past the address's budget the token is not compared at all: spending then answers 429.
    const allowedToTry = !failures.wouldRefuse('metrics', address);
    if (allowedToTry && expected && presented.token && sameDigest(expected, hashApiKey(presented.token))) return true;
    const detail =
      presented.problem === 'multiple'
        ? { loc: ['header', 'authorization'], msg: 'send one Authorization header', type: 'auth_error.multiple_keys' }
        : { loc: ['header', 'authorization'], msg: 'the metrics token is required', type: 'auth_error.invalid_key' };
    const failure = FailedAuthentications.answer(failures.spend('metrics', address), new AppError('unauthorized', [detail]), ['client']);
    exchange.authFailure = failure;
    throw failure;
  };
}

/**
 * Both partner schemes of openapi.yaml (bearer and X-API-Key) resolve the same credentials, so
 * they share one authentication per request; an authenticated partner then spends from its own
 * bucket. A refusal is kept on the exchange: openapi-backend turns every failed security handler
 * into "unauthorized", and the unauthorized handler answers with the real reason (401, 429, 503
 * when the partner could not be looked up, 413 for a signed body).
 */
export function securityHandlers(authenticate: Authenticate, bodyLimitBytes: number, limits: RateLimits, metricsToken?: string) {
  async function run(exchange: Exchange): Promise<AuthenticatedPartner> {
    const partner = await authenticate({
      headers: exchange.req.headersDistinct,
      address: exchange.address,
      rawBody: () => rawBodyOf(exchange, bodyLimitBytes),
      budget: exchange.budget,
      // So that a refusal past this point (a bad signature, the rate limit) names the partner in the log.
      identified: (name) => (locals(exchange.res).partner = name),
    });
    const policy = limits.partnerPolicy(partner);
    const decision = limits.partners.take(partner.name, policy);
    exchange.rateLimit = decision;
    if (!decision.allowed) throw rateLimitExceeded(decision, ['header', 'authorization']);
    exchange.refundRateLimit = () => {
      limits.partners.refund(partner.name, policy);
      exchange.rateLimit = limits.partners.peek(partner.name, policy);
    };
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
  return { bearerAuth: once, apiKeyHeader: once, metricsToken: metricsTokenHandler(metricsToken, limits.failures) };
}
