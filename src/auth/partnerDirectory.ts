import { AppError } from '../errors';
import { TokenBuckets, type Policy } from '../limits/tokenBuckets';
import type { PartnerCredentials } from '../store/partnerStore';

export interface PartnerDirectoryOptions {
  /** The partners behind these key digests, read from the database in one query. */
  findByKeyHashes: (keyHashes: readonly string[]) => Promise<Map<string, PartnerCredentials>>;
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
 * lane's queries, sent at most once per interval, for keys from an address that has spent its
 * failed-authentication budget: they are still read, so a valid key there is never refused, but
 * a flood of guesses costs the database a few queries a second, not one per guess.
 */
export type Lane = 'fast' | 'slow';

interface Entry {
  value: PartnerCredentials;
  fetchedAt: number;
}

type Waiters = { resolve: (v: PartnerCredentials | null) => void; reject: (e: unknown) => void }[];

/**
 * The partners behind API keys, as this instance knows them. Found partners are remembered for
 * `ttlMs`, so most requests need no database read; unknown keys are not (a key created a moment
 * ago works at once). Reads are coalesced: in the fast lane one query is in flight at a time,
 * and every digest asked for meanwhile goes into the next one.
 */
export class PartnerDirectory {
  private readonly entries = new Map<string, Entry>();
  private readonly lanes: Record<Lane, Map<string, Waiters>> = { fast: new Map(), slow: new Map() };
  private querying = false;
  private slowTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly rereads: TokenBuckets;
  private readonly rereadPolicy: Policy;
  private readonly slowLaneIntervalMs: number;
  private readonly maxEntries: number;
  private readonly maxBatch: number;
  private readonly maxWaiting: number;

  constructor(private readonly options: PartnerDirectoryOptions) {
    this.now = options.now ?? (() => performance.now());
    this.maxEntries = options.maxEntries ?? 10_000;
    this.rereadPolicy = { name: 'reread', ratePerSecond: options.rereadsPerSecond ?? 1, burst: options.rereadBurst ?? 2 };
    this.rereads = new TokenBuckets(this.maxEntries, () => this.now() / 1000);
    this.slowLaneIntervalMs = options.slowLaneIntervalMs ?? 250;
    this.maxBatch = options.maxBatch ?? 500;
    this.maxWaiting = options.maxWaiting ?? 10_000;
  }

  /** The partner behind a key, from memory while it is fresh; undefined when it must be read. */
  cached(keyHash: string): PartnerCredentials | undefined {
    const entry = this.entries.get(keyHash);
    if (entry && this.now() - entry.fetchedAt < this.options.ttlMs) return entry.value;
    return undefined;
  }

  /** Reads the partner behind a key from the database, in the lane's next query. */
  lookup(keyHash: string, lane: Lane = 'fast'): Promise<PartnerCredentials | null> {
    return new Promise((resolve, reject) => {
      const waiting = this.lanes[lane];
      const waiters = waiting.get(keyHash);
      if (waiters) {
        waiters.push({ resolve, reject });
        return;
      }
      // Beyond this the database is far behind; waiting would only end in a 503 later.
      if (waiting.size >= this.maxWaiting) {
        reject(new AppError('database_unavailable'));
        return;
      }
      waiting.set(keyHash, [{ resolve, reject }]);
      if (lane === 'fast') void this.queryFast();
      else this.slowTimer ??= setTimeout(() => void this.querySlow(), this.slowLaneIntervalMs);
    });
  }

  /**
   * Reads a known key again, for a signature that does not match what is remembered (a secret
   * rotated a moment ago), so a new secret works at once. Each key has a small budget of re-reads
   * (a second's worth, refilled once a second), so bad signatures cannot make the database work
   * at will; past it, the remembered partner is the answer.
   */
  reread(keyHash: string): Promise<PartnerCredentials | null> {
    const entry = this.entries.get(keyHash);
    if (entry && !this.rereads.take(keyHash, this.rereadPolicy).allowed) return Promise.resolve(entry.value);
    return this.lookup(keyHash);
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
  private async query(waiting: Map<string, Waiters>): Promise<void> {
    const batch = new Map<string, Waiters>();
    for (const [keyHash, waiters] of waiting) {
      waiting.delete(keyHash);
      batch.set(keyHash, waiters);
      if (batch.size === this.maxBatch) break;
    }
    try {
      const found = await this.options.findByKeyHashes([...batch.keys()]);
      const fetchedAt = this.now();
      for (const [keyHash, waiters] of batch) {
        const value = found.get(keyHash) ?? null;
        if (value) this.remember(keyHash, { value, fetchedAt });
        else this.entries.delete(keyHash);
        for (const waiter of waiters) waiter.resolve(value);
      }
    } catch (err) {
      for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(err);
    }
  }

  private remember(keyHash: string, entry: Entry): void {
    this.entries.delete(keyHash);
    this.entries.set(keyHash, entry);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }
}
