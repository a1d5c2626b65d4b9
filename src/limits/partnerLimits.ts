import type { AuthenticatedPartner } from '../auth/authenticate';
import type { Config } from '../config';
import type { Metrics } from '../metrics';
import type { LeaseStore } from '../store/rateLimitStore';
import { SharedBuckets } from './sharedBuckets';
import type { Policy } from './tokenBuckets';

/**
 * Longest a lease's claim may take before its instance decides alone. A claim is one insert, a
 * few milliseconds; a second, even on a starved machine, means the database is in trouble, and
 * requests keep the rest of their DB_TIMEOUT_MS budget for their own write. A lease about to
 * lapse unspent is renewed ahead, with no request waiting, and gets a quarter of that: it is
 * renewed twice that ahead, so a database gone quiet is noticed before any request waits on it.
 * Constants rather than settings for now.
 */
const CLAIM_TIMEOUT_MS = 1000;
const RENEW_TIMEOUT_MS = 250;
/** While an instance decides alone, how often it tries for a lease again to find the database back. */
const PROBE_EVERY_MS = 2000;

/** A partner's own rate with bursts of twice it, or the service's RATE_LIMIT_PER_SECOND and RATE_LIMIT_BURST. */
export function partnerPolicy(config: Pick<Config, 'rateLimitPerSecond' | 'rateLimitBurst'>): (partner: AuthenticatedPartner) => Policy {
  return (partner) =>
    partner.ratePerSecond
      ? { name: 'partner', ratePerSecond: partner.ratePerSecond, burst: 2 * partner.ratePerSecond }
      : { name: 'partner', ratePerSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst };
}

/** Partner buckets shared by every instance on the database, reporting in the metrics whether they are. */
export function sharedPartnerBuckets(leases: LeaseStore, metrics: Metrics): SharedBuckets {
  metrics.rateLimitShared.set(1);
  return new SharedBuckets(leases, {
    claimTimeoutMs: CLAIM_TIMEOUT_MS,
    renewTimeoutMs: RENEW_TIMEOUT_MS,
    probeEveryMs: PROBE_EVERY_MS,
    onShared: (shared) => metrics.rateLimitShared.set(shared ? 1 : 0),
    onLocalDecision: () => metrics.rateLimitLocalDecisions.inc(),
  });
}
