import { AppError } from '../errors';
import type { PartnerCredentials } from '../store/partnerStore';

/**
 * `fast`: read at once (with whatever else is waiting). `slow`: read in the next of the slow
 * lane's queries, sent at most once per interval, for keys this instance does not know from an
 * address that has spent its failed-authentication budget: a flood of guesses then costs the
 * database a few queries a second, not one per guess.
 */
export type Lane = 'fast' | 'slow';

/** The slow lane is full: an over-budget address's unknown key is refused (429) instead of read. */
export class SlowLaneFull extends Error {}

export interface PartnerReadsOptions<V = PartnerCredentials> {
  /** The partners behind these key digests, read from the database in one query. */
  findByKeyHashes: (keyHashes: readonly string[]) => Promise<Map<string, V>>;
  /** Told each digest a query answered, before its waiters: the partner, or null when there is none. */
  onAnswer: (keyHash: string, value: V | null, fetchedAt: number) => void;
  slowLaneIntervalMs: number;
  maxBatch: number;
  maxWaiting: number;
  now: () => number;
}

interface Waiter<V> {
  resolve: (v: V | null) => void;
  reject: (e: unknown) => void;
  timer?: NodeJS.Timeout;
}

/**
 * Database reads of the partners behind key digests, coalesced: a key already being read joins
 * that read, and in the fast lane one query is in flight at a time, with every digest asked for
 * meanwhile in the next one. The slow lane sends one query per interval at most. `V` is what a
 * digest leads to: a partner, or (see consumerDirectory.ts) a consumer's grant.
 */
export class PartnerReads<V = PartnerCredentials> {
  private readonly lanes: Record<Lane, Map<string, Waiter<V>[]>> = { fast: new Map(), slow: new Map() };
  /** Digests in a query now, with whoever waits for them. */
  private readonly reading = new Map<string, Waiter<V>[]>();
  private querying = false;
  private slowTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: PartnerReadsOptions<V>) {}

  /**
   * Reads the partner behind a key: with the read already under way for it, else in the lane's
   * next query. The wait ends after `timeoutMs` (503), and the key leaves the lane if nobody else
   * waits for it. A full slow lane refuses at once (SlowLaneFull).
   */
  read(keyHash: string, lane: Lane, timeoutMs: number): Promise<V | null> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter<V> = { resolve, reject };
      const joined = this.reading.get(keyHash) ?? this.lanes.fast.get(keyHash) ?? this.lanes[lane].get(keyHash);
      if (joined) {
        joined.push(waiter);
      } else if (this.lanes[lane].size >= this.options.maxWaiting) {
        // Fast lane: the database is far behind, so waiting would only end in a 503 later.
        reject(lane === 'slow' ? new SlowLaneFull() : new AppError('database_unavailable'));
        return;
      } else {
        this.lanes[lane].set(keyHash, [waiter]);
        if (lane === 'fast') void this.queryFast();
        else this.slowTimer ??= setTimeout(() => void this.querySlow(), this.options.slowLaneIntervalMs);
      }
      if (timeoutMs !== Infinity) waiter.timer = setTimeout(() => this.giveUp(keyHash, lane, waiter), timeoutMs);
    });
  }

  /** A waiter out of time: answered 503, and its key leaves the lane when nobody else waits. */
  private giveUp(keyHash: string, lane: Lane, waiter: Waiter<V>): void {
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
      this.slowTimer = this.lanes.slow.size > 0 ? setTimeout(() => void this.querySlow(), this.options.slowLaneIntervalMs) : undefined;
    }
  }

  /** One query for up to maxBatch of the digests waiting in a lane. */
  private async query(waiting: Map<string, Waiter<V>[]>): Promise<void> {
    const batch: string[] = [];
    for (const [keyHash, waiters] of waiting) {
      waiting.delete(keyHash);
      this.reading.set(keyHash, waiters);
      batch.push(keyHash);
      if (batch.length === this.options.maxBatch) break;
    }
    let found: Map<string, V> | undefined;
    let failure: unknown;
    try {
      found = await this.options.findByKeyHashes(batch);
    } catch (err) {
      failure = err;
    }
    const fetchedAt = this.options.now();
    for (const keyHash of batch) {
      const waiters = this.reading.get(keyHash) ?? [];
      this.reading.delete(keyHash);
      const value = found?.get(keyHash) ?? null;
      if (found) this.options.onAnswer(keyHash, value, fetchedAt);
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        if (found) waiter.resolve(value);
        else waiter.reject(failure);
      }
    }
  }
}
