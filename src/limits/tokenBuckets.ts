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
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds until one more request is allowed (0 when one is). */
  retryAfterSeconds: number;
}

/**
 * Token buckets by key (a partner, a client address), in memory. Each request costs O(1) time,
 * and the map never holds more than `maxKeys` buckets: the least recently used one goes first
 * (forgetting a bucket only ever lets its owner start full again).
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly maxKeys = 100_000,
    private readonly nowSeconds: () => number = () => performance.now() / 1000,
  ) {}

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
    this.buckets.delete(key);
    this.buckets.set(key, { tokens, at: this.nowSeconds() });
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
  }

  private decide(policy: Policy, tokens: number, allowed: boolean): Decision {
    return {
      allowed,
      policy,
      remaining: Math.floor(tokens),
      resetSeconds: Math.ceil((policy.burst - tokens) / policy.ratePerSecond),
      retryAfterSeconds: tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / policy.ratePerSecond)),
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
