import type { Collection, Db } from 'mongodb';
import { ensureCollection, isDuplicateKey } from './dbErrors';

/** Where the local database keeps the blocks: a database of their own (see stores.ts). */
export const numberingDatabaseName = (dbName: string): string => `${dbName}_ids`;

/** Leased blocks of event_ids, one document per block; test-mode events have their own. */
export const EVENT_ID_BLOCKS_COLLECTION = 'event_id_blocks';
export const TEST_EVENT_ID_BLOCKS_COLLECTION = 'test_event_id_blocks';
/** The variable-size leases of builds before 1.5.3: read once, for where the first block starts. */
export const EVENT_ID_LEASES_COLLECTION = 'event_id_leases';
export const TEST_EVENT_ID_LEASES_COLLECTION = 'test_event_id_leases';

/** Event_ids in one block: block b holds (b - 1) × BLOCK_SIZE + 1 to b × BLOCK_SIZE. */
export const BLOCK_SIZE = 100;

interface BlockDocument {
  /** The block's number: 1, 2, 3... with no number skipped. */
  _id: number;
}

/**
 * What a writer knows of the newest block is trusted this long, from when the insert or read that
 * told it was sent. An instance deletes only blocks KEEP below one it took at least PRUNE_AGE_MS
 * before, by its own steady clock (no clocks are compared across machines): all of them existed
 * then, so a writer could insert one again (and reuse its numbers) only with an insert that took
 * PRUNE_AGE_MS - TRUST_MS (50 s) to land.
 */
const TRUST_MS = 10_000;
const PRUNE_AGE_MS = 60_000;
const KEEP = 100;
/** An instance prunes each time it takes a block whose number is a multiple of this. */
const PRUNE_EVERY = 200;
/** Blocks lost one after another before the newest is read instead of tried one by one. */
const MAX_PROBES = 8;

/** Numbering figures since start, for the metrics. */
export interface NumberingStats {
  /** Blocks taken. */
  leases: number;
  /** Numbering attempts refused because another instance took the block (or, in the writer, the event_id). */
  conflicts: number;
  /** Attempts made again after such a refusal. */
  retries: number;
  /** Time spent taking blocks, lost attempts included (what numbering costs each batch). */
  leaseSeconds: number;
}

interface Known {
  block: number;
  /** performance.now() when the call that told it was sent. */
  at: number;
}

const rangeOf = (block: number): { first: number; last: number } => ({ first: (block - 1) * BLOCK_SIZE + 1, last: block * BLOCK_SIZE });

/**
 * Hands out event_ids in fixed blocks: block b+1 is taken by inserting document b+1, which a
 * unique `_id` lets only one instance do (atomic on FerretDB as on MongoDB, where an update is not
 * atomic on FerretDB). Blocks are numbered without gaps and taken one after another, so a block
 * taken after another ended holds larger numbers: that is what makes an event received after
 * another's 201 get a larger event_id (the writer takes a batch's block after its events were
 * received).
 *
 * A block's numbers follow from its number alone, so an instance that finds b+1 taken tries b+2
 * at once and reads nothing: a lost race costs one refused insert, which the local database
 * checks against an index, where any read there scans the collection (35 ms at 2,000 small
 * documents, against 0.5 ms for a refused insert). The price is sparse event_ids: numbers of a
 * block its batch did not need are never handed out; the writer reports them to the feed.
 *
 * Where to start: the newest block this instance took (when recent), else the newest
 * block (a sort: a scan of the blocks kept, on FerretDB), else the first block starts
 * above every event stored, reserved in the event_id hint, or leased by an earlier build.
 */
export class EventIdLeases {
  private known: Known | undefined;
  /** Blocks this instance took, at most one a second: where it may prune from, a minute later. */
  private taken: Known[] = [];
  readonly stats: NumberingStats = { leases: 0, conflicts: 0, retries: 0, leaseSeconds: 0 };

  constructor(
    private readonly blocks: Collection<BlockDocument>,
    /** The highest event_id stored, reserved or leased before blocks, for the first block ever. */
    private readonly highestBefore: () => Promise<number>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A block of event_ids that no other writer holds, above those of every block taken before. */
  async lease(): Promise<{ first: number; last: number }> {
    const started = performance.now();
    try {
      return rangeOf(await this.take());
    } finally {
      this.stats.leaseSeconds += (performance.now() - started) / 1000;
    }
  }

  private async take(): Promise<number> {
    let known = this.known && this.now() - this.known.at < TRUST_MS ? this.known : await this.newest();
    // A block's outcome may be unknown: until this one is settled, the database is asked anew.
    this.known = undefined;
    let lost = 0;
    for (;;) {
      // A refusal proves only that its block exists, not that it is near the newest: what was known
      // is trusted from when it was learnt, however many blocks were tried since.
      if (this.now() - known.at >= TRUST_MS) [known, lost] = [await this.newest(), 0];
      const block = known.block + 1;
      const sent = this.now();
      try {
        await this.blocks.insertOne({ _id: block });
        this.known = { block, at: sent };
        this.stats.leases += 1;
        this.remember(this.known);
        if (block % PRUNE_EVERY === 0) this.prune();
        return block;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        this.stats.conflicts += 1;
        this.stats.retries += 1;
        // Taken: others are at least that far. Far behind them, the newest is read instead.
        lost += 1;
        if (lost < MAX_PROBES) {
          known = { block, at: known.at };
        } else {
          known = await this.newest();
          lost = 0;
        }
      }
    }
  }

  /** Keeps a block taken, at most one a second; of those past PRUNE_AGE_MS only the newest, first. */
  private remember(taken: Known): void {
    if (this.taken.length === 0 || taken.at - this.taken.at(-1)!.at >= 1000) this.taken.push(taken);
    const old = this.taken.findLastIndex(({ at }) => this.now() - at >= PRUNE_AGE_MS);
    if (old > 0) this.taken.splice(0, old);
  }

  /** Deletes below the block taken a minute ago (the first remembered, once that old). */
  private prune(): void {
    const old = this.taken[0];
    if (!old || this.now() - old.at < PRUNE_AGE_MS) return;
    this.taken.shift();
    void this.blocks.deleteMany({ _id: { $lt: old.block - KEEP } }).catch(() => undefined);
  }

  /** Creates the collection before any block (see ensureCollection). */
  prepare(): Promise<void> {
    return ensureCollection(this.blocks.db, this.blocks.collectionName);
  }

  /** The newest block, or where the first will follow: above every number used before. */
  private async newest(): Promise<Known> {
    const at = this.now();
    const [top] = await this.blocks.find({}, { sort: { _id: -1 }, limit: 1, projection: { _id: 1 } }).toArray();
    if (top) return { block: top._id, at };
    return { block: Math.ceil((await this.highestBefore()) / BLOCK_SIZE), at };
  }
}

/**
 * The highest event_id the variable-size leases of builds before 1.5.3 handed out (0 when there are
 * none): the first block starts above it. Each lease states its first event_id, or follows the one
 * before it.
 */
export async function highestLeasedBefore(db: Db, collection: string): Promise<number> {
  const leases = await db.collection<{ _id: number; count: number; first: number | null }>(collection).find({}).toArray();
  leases.sort((a, b) => a._id - b._id);
  // The oldest kept may follow a lease deleted since: the walk starts at the first that states its start.
  let last: number | undefined;
  for (const lease of leases) {
    if (lease.first !== null) last = lease.first + lease.count - 1;
    else if (last !== undefined) last += lease.count;
  }
  return last ?? 0;
}

/** The blocks of the events in one collection (live or test). */
export function eventIdLeases(db: Db, collection: string, highestBefore: () => Promise<number>): EventIdLeases {
  return new EventIdLeases(db.collection<BlockDocument>(collection), highestBefore);
}
