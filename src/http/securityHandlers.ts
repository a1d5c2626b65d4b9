import type { Context } from 'openapi-backend';
import type { AuthenticatedPartner, AuthenticationRequest } from '../auth/authenticate';
import { hashApiKey, sameDigest } from '../auth/credentials';
import { singleBearerToken } from '../auth/presentedKey';
import { AppError, type ErrorDetail } from '../errors';
import { FailedAuthentications } from '../limits/failedAuthentications';
import type { PartnerBuckets } from '../limits/sharedBuckets';
import { rateLimitExceeded, type Policy } from '../limits/tokenBuckets';
import { toAppError } from '../store/dbErrors';
import type { Consumer, RequestContext } from './context';
import { rawBodyOf } from './requestHooks';

type Authenticate = (request: AuthenticationRequest) => Promise<AuthenticatedPartner>;

export interface RateLimits {
  /** One bucket per partner, spent by every authenticated request (shared by the instances on one database). */
  partners: PartnerBuckets;
  partnerPolicy: (partner: AuthenticatedPartner) => Policy;
  /** Budgets for failed authentications (per address, per key, per partner). */
  failures: FailedAuthentications;
}

/**
 * The operators' routes (GET /metrics; the console's /operator routes): a bearer token of their
 * own, compared in constant time; no token configured, no access. The operators choose these
 * tokens, so they may be weaker than a partner key: an address that keeps presenting wrong ones
 * is refused before its next guess is even compared.
 */
function operatorTokenHandler(token: string | undefined, failures: FailedAuthentications, what: 'metrics' | 'operator') {
  const expected = token ? hashApiKey(token) : undefined;
  return (_c: Context, ctx: RequestContext): true => {
    const presented = singleBearerToken(ctx.req.headersDistinct);
    // Past the address's budget the token is not compared at all: spending then answers 429.
    const allowedToTry = !failures.wouldRefuse(what, ctx.address);
    if (allowedToTry && expected && presented.token && sameDigest(expected, hashApiKey(presented.token))) return true;
    const detail: ErrorDetail<'unauthorized'> =
      presented.problem === 'multiple'
        ? { loc: ['header', 'authorization'], msg: 'send one Authorization header', type: 'auth_error.multiple_keys' }
        : { loc: ['header', 'authorization'], msg: `the ${what} token is required`, type: 'auth_error.invalid_key' };
    throw FailedAuthentications.answer(failures.spend(what, ctx.address), new AppError('unauthorized', [detail]), ['client']);
  };
}

/** Looks a presented consumer token up: the consumer, or null when the token opens nothing. */
export type AuthenticateConsumer = (token: string) => Promise<Consumer | null>;

/**
 * The read routes: a consumer token, never a partner key (and a consumer token never opens
 * delivery, whose schemes look only at partner keys). Wrong tokens spend the address's budget of
 * failed authentications, as unknown partner keys do.
 */
function consumerTokenHandler(authenticateConsumer: AuthenticateConsumer, failures: FailedAuthentications) {
  return async (_c: Context, ctx: RequestContext): Promise<true> => {
    const presented = singleBearerToken(ctx.req.headersDistinct);
    if (presented.token && !failures.wouldRefuse('address', ctx.address)) {
      const consumer = await authenticateConsumer(presented.token).catch((err: unknown) => Promise.reject(toAppError(err)));
      if (consumer) {
        ctx.consumer = consumer;
        ctx.outcome.consumer = consumer.name;
        return true;
      }
    }
    const detail: ErrorDetail<'unauthorized'> =
      presented.problem === 'multiple'
        ? { loc: ['header', 'authorization'], msg: 'send one Authorization header', type: 'auth_error.multiple_keys' }
        : presented.token
          ? { loc: ['header', 'authorization'], msg: 'invalid consumer token', type: 'auth_error.invalid_key' }
          : { loc: ['header', 'authorization'], msg: 'a consumer token is required', type: 'auth_error.missing_key' };
    throw FailedAuthentications.answer(failures.spend('address', ctx.address), new AppError('unauthorized', [detail]), ['client']);
  };
}

/**
 * Both partner schemes of openapi.yaml (bearer and X-API-Key) resolve the same credentials, so
 * they share one authentication per request; an authenticated partner then spends from its own
 * bucket. A refusal is the error thrown here, which the unauthorized handler answers with (401,
 * 429, 503 when the partner could not be looked up, 413 for a signed body).
 */
export function securityHandlers(
  authenticate: Authenticate,
  authenticateConsumer: AuthenticateConsumer,
  bodyLimitBytes: number,
  limits: RateLimits,
  tokens: { metrics?: string; operator?: string },
) {
  async function run(ctx: RequestContext, signed: boolean): Promise<AuthenticatedPartner> {
    const partner = await authenticate({
      headers: ctx.req.headersDistinct,
      address: ctx.address,
      rawBody: () => rawBodyOf(ctx, bodyLimitBytes),
      budget: ctx.budget,
      signed,
      // So that a refusal past this point (a bad signature, the rate limit) names the partner in the log.
      identified: (name, mode) => Object.assign(ctx.outcome, { partner: name, mode }),
    });
    const policy = limits.partnerPolicy(partner);
    // A test key has an allowance of its own: tests never use up the live one.
    const bucket = partner.mode === 'test' ? `${partner.name}/test` : partner.name;
    // Mostly spent from a lease held in memory; now and then a lease is claimed within the request's budget.
    const decision = await limits.partners.take(bucket, policy, ctx.budget);
    ctx.rateLimit = decision;
    if (!decision.allowed) throw rateLimitExceeded(decision, ['header', 'authorization']);
    ctx.refundRateLimit = () => {
      limits.partners.refund(bucket, policy);
      ctx.rateLimit = limits.partners.peek(bucket, policy);
    };
    ctx.partner = partner;
    return partner;
  }

  // Signatures sign a body: a partner's reads (no body) are opened by the key alone.
  const once = (c: Context, ctx: RequestContext): Promise<AuthenticatedPartner> => (ctx.authentication ??= run(ctx, c.operation.requestBody !== undefined));
  return {
    bearerAuth: once,
    apiKeyHeader: once,
    consumerToken: consumerTokenHandler(authenticateConsumer, limits.failures),
    metricsToken: operatorTokenHandler(tokens.metrics, limits.failures, 'metrics'),
    operatorToken: operatorTokenHandler(tokens.operator, limits.failures, 'operator'),
  };
}
