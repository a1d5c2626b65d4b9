import { TokenBuckets, type Policy } from '../limits/tokenBuckets';
import { RecentMap } from '../recentMap';
import type { PartnerCredentials } from '../store/partnerStore';
import { PartnerReads, type Lane } from './partnerReads';

export interface PartnerDirectoryOptions<V = PartnerCredentials> {
  /** The partners behind these key digests, read from the database in one query. */
  findByKeyHashes: (keyHashes: readonly string[]) => Promise<Map<string, V>>;
  /** Every key digest the database holds (a small read: one short string per key). */
  listKeyHashes: () => Promise<string[]>;
  /** How long a partner found is trusted without asking again (bounds how late a revocation bites). */
  ttlMs: number;
  /** Re-reads of one key to check a new signing secret: per second (default 1) and at once (default 2). */
  rereadsPerSecond?: number;
  rereadBurst?: number;
  /** The slow lane sends one query per interval at most (default 250 ms). */
  slowLaneIntervalMs?: number;
  maxEntries?: number;
  /** Digests per query (default 500) and digests waiting in each lane at most (default 10,000). */
  maxBatch?: number;
  maxWaiting?: number;
  now?: () => number;
}

interface Entry<V> {
  value: V;
  fetchedAt: number;
}

/**
 * The partners behind API keys, as this instance knows them.
 *
 * - Found partners are remembered for `ttlMs`, so most requests need no database read; unknown
 *   keys are not (a key created a moment ago works at once).
 * - Every key digest in the database is known (listed at start and every few seconds), so a
 *   valid key is told from a guess without a query, and never waits behind guesses.
 * - Reads are coalesced, in a fast lane and a slow one (see partnerReads.ts).
 *
 * `V` is what a digest leads to: partners here, consumers' grants in consumerDirectory.ts, which
 * so share one cache lifetime (AUTH_CACHE_TTL_MS) and one key-list refresh.
 */
export class PartnerDirectory<V = PartnerCredentials> {
  private readonly entries: RecentMap<string, Entry<V>>;
  private known = new Set<string>();
  private readonly reads: PartnerReads<V>;
  private readonly now: () => number;
  private readonly rereads: TokenBuckets;
  private readonly rereadPolicy: Policy;

  constructor(private readonly options: PartnerDirectoryOptions<V>) {
    this.now = options.now ?? (() => performance.now());
    const maxEntries = options.maxEntries ?? 10_000;
    this.entries = new RecentMap(maxEntries);
    this.rereadPolicy = { name: 'reread', ratePerSecond: options.rereadsPerSecond ?? 1, burst: options.rereadBurst ?? 2 };
    this.rereads = new TokenBuckets(maxEntries, () => this.now() / 1000);
    this.reads = new PartnerReads<V>({
      findByKeyHashes: options.findByKeyHashes,
      onAnswer: (keyHash, value, fetchedAt) => {
        if (value) {
          this.entries.set(keyHash, { value, fetchedAt });
          this.known.add(keyHash);
        } else {
          this.entries.delete(keyHash);
        }
      },
      slowLaneIntervalMs: options.slowLaneIntervalMs ?? 250,
      maxBatch: options.maxBatch ?? 500,
      maxWaiting: options.maxWaiting ?? 10_000,
      now: this.now,
    });
  }

  /** Replaces the set of known key digests with the database's. */
  async refreshKnown(): Promise<void> {
    this.known = new Set(await this.options.listKeyHashes());
  }

  /** True for a digest the database held at the last listing, or found since. */
  isKnown(keyHash: string): boolean {
    return this.known.has(keyHash);
  }

  /** The partner behind a key, from memory while it is fresh; undefined when it must be read. */
  cached(keyHash: string): V | undefined {
    const entry = this.entries.get(keyHash);
    if (entry && this.now() - entry.fetchedAt < this.options.ttlMs) return entry.value;
    return undefined;
  }

  /**
   * Reads the partner behind a key from the database: with the read already under way for it,
   * else in the lane's next query. The wait ends after `timeoutMs` (503), and the key leaves the
   * lane if nobody else waits for it. A full slow lane refuses at once (SlowLaneFull).
   */
  lookup(keyHash: string, lane: Lane = 'fast', timeoutMs = Infinity): Promise<V | null> {
    return this.reads.read(keyHash, lane, timeoutMs);
  }

  /**
   * Reads a known key again, for a signature that does not match what is remembered (a secret
   * rotated a moment ago), so a new secret works at once. Each key has a small budget of re-reads
   * (two at once, then one a second), so bad signatures cannot make the database work at will;
   * past it, the remembered partner is the answer.
   */
  reread(keyHash: string, timeoutMs = Infinity): Promise<V | null> {
    const entry = this.entries.get(keyHash);
    if (entry && !this.rereads.take(keyHash, this.rereadPolicy).allowed) return Promise.resolve(entry.value);
    return this.lookup(keyHash, 'fast', timeoutMs);
  }
}
