import { KEY_LIST_REFRESH_MS } from '../config';
import type { ConsumerGrant, ConsumerStore } from '../store/consumerStore';
import { hashConsumerToken, isWellFormedConsumerToken } from './credentials';
import { PartnerDirectory } from './partnerDirectory';
import type { Lane } from './partnerReads';

/** Who reads, and whose events: `partners` null means every partner's. */
export interface AuthenticatedConsumer {
  name: string;
  partners: string[] | null;
}

export interface ConsumerDirectoryOptions {
  store: Pick<ConsumerStore, 'findByTokenDigests' | 'listTokenDigests'>;
  /** How long a consumer found is trusted without asking again: the partners' AUTH_CACHE_TTL_MS. */
  ttlMs: number;
  /** Monotonic milliseconds, for the cache (default performance.now). */
  now?: () => number;
  /** The wall clock, for the end of a rotated-out token's grace (default new Date()). */
  clock?: () => Date;
  maxEntries?: number;
}

export interface ConsumerLookupOptions {
  /**
   * The lane for a token whose digest was not in the last listing (a guess, or one issued in the
   * last seconds): 'slow' once the caller has seen too many failures from the client (default
   * 'fast'). A full slow lane throws SlowLaneFull. Listed tokens always take the fast lane.
   */
  unknownLane?: Lane;
  /** How long to wait for the database; past it, AppError database_unavailable (503). */
  timeoutMs?: number;
}

/**
 * The consumers behind read tokens, as this instance knows them: the partner directory's cache
 * and coalesced reads (see partnerDirectory.ts) over the consumer store. A consumer found is
 * trusted for `ttlMs`, so a revocation bites within it, as for partners; an unknown token is not
 * remembered, so a token issued a moment ago works at once; a rotated-out token stops at the end
 * of its grace to the second, even while remembered.
 */
export class ConsumerDirectory {
  private readonly grants: PartnerDirectory<ConsumerGrant>;
  private readonly clock: () => Date;

  constructor(options: ConsumerDirectoryOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.grants = new PartnerDirectory<ConsumerGrant>({
      findByKeyHashes: (digests) => options.store.findByTokenDigests(digests, this.clock()),
      listKeyHashes: () => options.store.listTokenDigests(this.clock()),
      ttlMs: options.ttlMs,
      now: options.now,
      maxEntries: options.maxEntries,
    });
  }

  /** Replaces the set of known token digests with the database's. */
  refreshKnown(): Promise<void> {
    return this.grants.refreshKnown();
  }

  /**
   * Lists the known digests now, then every KEY_LIST_REFRESH_MS, as for partner keys; a failed
   * refresh keeps the last list and is told to `onError`. Returns the function that stops it.
   */
  async keepKnownFresh(onError: (err: unknown) => void, intervalMs = KEY_LIST_REFRESH_MS): Promise<() => void> {
    await this.refreshKnown();
    const timer = setInterval(() => void this.refreshKnown().catch(onError), intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** True for a well-formed token whose digest the database held at the last listing, or found since. */
  isKnown(token: string): boolean {
    return isWellFormedConsumerToken(token) && this.grants.isKnown(hashConsumerToken(token));
  }

  /**
   * The consumer behind a read token, or null for a malformed, unknown, revoked or expired one
   * (a malformed token costs no database read). Rejects only when the database cannot answer
   * (AppError database_unavailable / internal) or the slow lane is full (SlowLaneFull).
   */
  authenticateConsumer = async (token: string, options: ConsumerLookupOptions = {}): Promise<AuthenticatedConsumer | null> => {
    if (!isWellFormedConsumerToken(token)) return null;
    const digest = hashConsumerToken(token);
    const lane = this.grants.isKnown(digest) ? 'fast' : (options.unknownLane ?? 'fast');
    const grant = this.grants.cached(digest) ?? (await this.grants.lookup(digest, lane, options.timeoutMs ?? Infinity));
    if (!grant || (grant.validUntil !== null && grant.validUntil <= this.clock())) return null;
    return { name: grant.name, partners: grant.partners ? [...grant.partners] : null };
  };
}
