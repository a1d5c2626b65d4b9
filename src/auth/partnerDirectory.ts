import { AppError } from '../errors';
import { TokenBuckets, type Policy } from '../limits/tokenBuckets';
import { RecentMap } from '../recentMap';
import type { PartnerCredentials } from '../store/partnerStore';

export interface PartnerDirectoryOptions {
  /** The partners behind these key digests, read from the database in one query. */
  findByKeyHashes: (keyHashes: readonly string[]) => Promise<Map<string, PartnerCredentials>>;
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

/**
 * `fast`: read at once (with whatever else is waiting). `slow`: read in the next of the slow
 * lane's queries, sent at most once per interval, for keys this instance does not know from an
 * address that has spent its failed-authentication budget: a flood of guesses then costs the
 * database a few queries a second, not one per guess.
 */
export type Lane = 'fast' | 'slow';

/** The slow lane is full: an over-budget address's unknown key is refused (429) instead of read. */
export class SlowLaneFull extends Error {}

interface Entry {
  value: PartnerCredentials;
  fetchedAt: number;
}

interface Waiter {
  resolve: (v: PartnerCredentials | null) => void;
  reject: (e: unknown) => void;
  timer?: NodeJS.Timeout;
}

/**
 * The partners behind API keys, as this instance knows them.
 *
 * - Found partners are remembered for `ttlMs`, so most requests need no database read; unknown
 *   keys are not (a key created a moment ago works at once).
 * - Every key digest in the database is known (listed at start and every few seconds), so a
 *   valid key is told from a guess without a query, and never waits behind guesses.
 * - Reads are coalesced: a key already being read joins that read, and in the fast lane one
 *   query is in flight at a time, with every digest asked for meanwhile in the next one.
 */
export class PartnerDirectory {
  private readonly entries: RecentMap<string, Entry>;
  private known = new Set<string>();
  private readonly lanes: Record<Lane, Map<string, Waiter[]>> = { fast: new Map(), slow: new Map() };
  /** Digests in a query now, with whoever waits for them. */
  private readonly reading = new Map<string, Waiter[]>();
  private querying = false;
  private slowTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly rereads: TokenBuckets;
  private readonly rereadPolicy: Policy;
  private readonly slowLaneIntervalMs: number;
  private readonly maxBatch: number;
  private readonly maxWaiting: number;

  constructor(private readonly options: PartnerDirectoryOptions) {
    this.now = options.now ?? (() => performance.now());
    const maxEntries = options.maxEntries ?? 10_000;
    this.entries = new RecentMap(maxEntries);
    this.rereadPolicy = { name: 'reread', ratePerSecond: options.rereadsPerSecond ?? 1, burst: options.rereadBurst ?? 2 };
    this.rereads = new TokenBuckets(maxEntries, () => this.now() / 1000);
    this.slowLaneIntervalMs = options.slowLaneIntervalMs ?? 250;
    this.maxBatch = options.maxBatch ?? 500;
    this.maxWaiting = options.maxWaiting ?? 10_000;
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
  cached(keyHash: string): PartnerCredentials | undefined {
    const entry = this.entries.get(keyHash);
    if (entry && this.now() - entry.fetchedAt < this.options.ttlMs) return entry.value;
    return undefined;
  }

  /**
   * Reads the partner behind a key from the database: with the read already under way for it,
   * else in the lane's next query. The wait ends after `timeoutMs` (503), and the key leaves the
   * lane if nobody else waits for it. A full slow lane refuses at once (SlowLaneFull).
   */
  lookup(keyHash: string, lane: Lane = 'fast', timeoutMs = Infinity): Promise<PartnerCredentials | null> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      const joined = this.reading.get(keyHash) ?? this.lanes.fast.get(keyHash) ?? this.lanes[lane].get(keyHash);
      if (joined) {
        joined.push(waiter);
      } else if (this.lanes[lane].size >= this.maxWaiting) {
        // Fast lane: the database is far behind, so waiting would only end in a 503 later.
        reject(lane === 'slow' ? new SlowLaneFull() : new AppError('database_unavailable'));
        return;
      } else {
        this.lanes[lane].set(keyHash, [waiter]);
        if (lane === 'fast') void this.queryFast();
        else this.slowTimer ??= setTimeout(() => void this.querySlow(), this.slowLaneIntervalMs);
      }
      if (timeoutMs !== Infinity) waiter.timer = setTimeout(() => this.giveUp(keyHash, lane, waiter), timeoutMs);
    });
  }

  /**
   * Reads a known key again, for a signature that does not match what is remembered (a secret
   * rotated a moment ago), so a new secret works at once. Each key has a small budget of re-reads
   * (two at once, then one a second), so bad signatures cannot make the database work at will;
   * past it, the remembered partner is the answer.
   */
  reread(keyHash: string, timeoutMs = Infinity): Promise<PartnerCredentials | null> {
    const entry = this.entries.get(keyHash);
    if (entry && !this.rereads.take(keyHash, this.rereadPolicy).allowed) return Promise.resolve(entry.value);
    return this.lookup(keyHash, 'fast', timeoutMs);
  }

  /** A waiter out of time: answered 503, and its key leaves the lane when nobody else waits. */
  private giveUp(keyHash: string, lane: Lane, waiter: Waiter): void {
    for (const waiting of [this.lanes[lane], this.lanes.fast, this.reading]) {
      const waiters = waiting.get(keyHash);
      const index = waiters?.indexOf(waiter) ?? -1;
      if (index < 0) continue;
      waiters!.splice(index, 1);
      if (waiters!.length === 0 && waiting !== this.reading) waiting.delete(keyHash);
      break;
    }
    waiter.reject(new AppError('database_unavailable'));
  }

  private async queryFast(): Promise<void> {
    if (this.querying || this.lanes.fast.size === 0) return;
    this.querying = true;
    try {
      await this.query(this.lanes.fast);
    } finally {
      this.querying = false;
      void this.queryFast();
    }
  }

  private async querySlow(): Promise<void> {
    try {
      await this.query(this.lanes.slow);
    } finally {
      this.slowTimer = this.lanes.slow.size > 0 ? setTimeout(() => void this.querySlow(), this.slowLaneIntervalMs) : undefined;
    }
  }

  /** One query for up to maxBatch of the digests waiting in a lane. */
  private async query(waiting: Map<string, Waiter[]>): Promise<void> {
    const batch: string[] = [];
    for (const [keyHash, waiters] of waiting) {
      waiting.delete(keyHash);
      this.reading.set(keyHash, waiters);
      batch.push(keyHash);
      if (batch.length === this.maxBatch) break;
    }
    let found: Map<string, PartnerCredentials> | undefined;
    let failure: unknown;
    try {
      found = await this.options.findByKeyHashes(batch);
    } catch (err) {
      failure = err;
    }
    const fetchedAt = this.now();
    for (const keyHash of batch) {
      const waiters = this.reading.get(keyHash) ?? [];
      this.reading.delete(keyHash);
      const value = found?.get(keyHash) ?? null;
      if (found) {
        if (value) {
          this.entries.set(keyHash, { value, fetchedAt });
          this.known.add(keyHash);
        } else {
          this.entries.delete(keyHash);
        }
      }
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        if (found) waiter.resolve(value);
        else waiter.reject(failure);
      }
    }
  }

}
