import { AppError } from '../errors';
import { RecentMap } from '../recentMap';

/** A token bucket: up to `burst` requests at once, refilled at `ratePerSecond`. */
export interface Policy {
  /** Names the policy in the RateLimit headers. */
  name: string;
  ratePerSecond: number;
  burst: number;
}

export interface Decision {
  allowed: boolean;
  policy: Policy;
  /** Whole requests left right now. */
  remaining: number;
  /**
   * Seconds until more requests are allowed: until the next whole token (0 when the bucket is
   * full). That is the RateLimit field's `t` (draft-ietf-httpapi-ratelimit-headers-10).
   */
  resetSeconds: number;
  /** Seconds until one more request is allowed (0 when one is); equals `resetSeconds` when none is. */
  retryAfterSeconds: number;
}

/**
 * Token buckets by key (a partner, a client address), in memory. Each request costs O(1) time,
 * and the map never holds more than `maxKeys` buckets: the least recently used one goes first
 * (forgetting a bucket only ever lets its owner start full again).
 */
export class TokenBuckets {
  private readonly buckets: RecentMap<string, { tokens: number; at: number }>;

  constructor(
    maxKeys = 100_000,
    private readonly nowSeconds: () => number = () => performance.now() / 1000,
  ) {
    this.buckets = new RecentMap(maxKeys);
  }

  /** Looks without spending. */
  peek(key: string, policy: Policy): Decision {
    return this.decide(policy, this.level(key, policy), false);
  }

  /** Spends one request if there is one. */
  take(key: string, policy: Policy): Decision {
    const tokens = this.level(key, policy);
    const allowed = tokens >= 1;
    const left = allowed ? tokens - 1 : tokens;
    this.store(key, left);
    return this.decide(policy, left, allowed);
  }

  /** Gives back a request spent in advance that turned out not to count. */
  refund(key: string, policy: Policy): void {
    if (!this.buckets.has(key)) return;
    this.store(key, Math.min(policy.burst, this.level(key, policy) + 1));
  }

  /** True while this key has a bucket, that is, once it has spent and until it is evicted. */
  has(key: string): boolean {
    return this.buckets.has(key);
  }

  get size(): number {
    return this.buckets.size;
  }

  private level(key: string, policy: Policy): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return policy.burst;
    const elapsed = Math.max(0, this.nowSeconds() - bucket.at);
    return Math.min(policy.burst, bucket.tokens + elapsed * policy.ratePerSecond);
  }

  private store(key: string, tokens: number): void {
    this.buckets.set(key, { tokens, at: this.nowSeconds() });
  }

  private decide(policy: Policy, tokens: number, allowed: boolean): Decision {
    const nextToken = tokens >= policy.burst ? 0 : Math.max(1, Math.ceil((Math.floor(tokens) + 1 - tokens) / policy.ratePerSecond));
    return {
      allowed,
      policy,
      remaining: Math.floor(tokens),
      resetSeconds: nextToken,
      retryAfterSeconds: tokens >= 1 ? 0 : nextToken,
    };
  }
}

/** The IETF RateLimit-Policy and RateLimit fields (draft-ietf-httpapi-ratelimit-headers). */
export function rateLimitHeaders(decision: Decision): Record<string, string> {
  const { name, burst, ratePerSecond } = decision.policy;
  return {
    'RateLimit-Policy': `"${name}";q=${burst};w=${Math.max(1, Math.ceil(burst / ratePerSecond))}`,
    RateLimit: `"${name}";r=${decision.remaining};t=${decision.resetSeconds}`,
  };
}

/** The 429 for a refused decision: the same shape for every policy, its Retry-After agreeing with RateLimit's `t`. */
export function rateLimitExceeded(decision: Decision, loc: (string | number)[]): AppError {
  return new AppError(
    'rate_limited',
    [
      {
        loc,
        msg: 'rate limit exceeded',
        type: 'rate_limit_exceeded',
        ctx: { policy: decision.policy.name, limit_per_second: decision.policy.ratePerSecond, burst: decision.policy.burst },
      },
    ],
    { ...rateLimitHeaders(decision), 'Retry-After': String(Math.max(1, decision.retryAfterSeconds)) },
  );
}
