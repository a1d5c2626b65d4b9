import type { AppError } from '../errors';
import { rateLimitExceeded, TokenBuckets, type Decision, type Policy } from './tokenBuckets';

export type FailureScope = 'address' | 'key' | 'partner' | 'metrics' | 'operator';

/** The policy names a 429 for failed authentications carries in RateLimit-Policy. */
const POLICY_NAMES: Record<FailureScope, string> = {
  address: 'unauthenticated',
  key: 'rejected_key',
  partner: 'rejected_signature',
  metrics: 'rejected_metrics_token',
  operator: 'rejected_operator_token',
};

/** One of each per scope; the return type makes a forgotten scope a compile error. */
function perScope<T>(make: (scope: FailureScope) => T): Record<FailureScope, T> {
  return { address: make('address'), key: make('key'), partner: make('partner'), metrics: make('metrics'), operator: make('operator') };
}

/**
 * Budgets for failed authentications, each where the guessing happens: per client address for
 * requests that present no known key, per presented key for a key that was refused (unknown,
 * revoked, expired), per partner for bad signatures made with a valid key, and per address for
 * wrong /metrics tokens and wrong operator tokens (each apart, so guesses at one never block
 * another: a scraper keeps scraping while someone guesses at the console). A request with a key
 * the database holds and a valid signature never spends from or waits on any of them, so a
 * failing neighbour behind the same address cannot lock a partner out.
 */
export class FailedAuthentications {
  private readonly buckets: Record<FailureScope, TokenBuckets>;
  private readonly policies: Record<FailureScope, Policy>;

  constructor(limit: { ratePerSecond: number; burst: number }, maxKeys?: number, nowSeconds?: () => number) {
    this.buckets = perScope(() => new TokenBuckets(maxKeys, nowSeconds));
    this.policies = perScope((scope) => ({ name: POLICY_NAMES[scope], ...limit }));
  }

  /** Spends one failure; the decision says whether the budget had one left. */
  spend(scope: FailureScope, id: string): Decision {
    return this.buckets[scope].take(id, this.policies[scope]);
  }

  /** True when this budget has nothing left, without spending. */
  wouldRefuse(scope: FailureScope, id: string): boolean {
    return this.buckets[scope].peek(id, this.policies[scope]).remaining < 1;
  }

  /** Gives back a failure spent in advance (before a lookup) for a request that succeeded. */
  refund(scope: FailureScope, id: string): void {
    this.buckets[scope].refund(id, this.policies[scope]);
  }

  /** True for a key digest that has been refused before (a refused key is never valid later). */
  refusedBefore(keyHash: string): boolean {
    return this.buckets.key.has(keyHash);
  }

  /** The error for a failure: `failure` while the budget lasts, then the same 429 as every other limit. */
  static answer(decision: Decision, failure: AppError, loc: (string | number)[]): AppError {
    return decision.allowed ? failure : rateLimitExceeded(decision, loc);
  }
}
