import type { Collection, Db } from 'mongodb';
import { ensureCollection, isDuplicateKey } from './dbErrors';

/** Where the local database keeps the leases: a database of their own (see stores.ts). */
export const numberingDatabaseName = (dbName: string): string => `${dbName}_ids`;

/** Leased ranges of event_ids, one document per lease; test-mode events have their own. */
export const EVENT_ID_LEASES_COLLECTION = 'event_id_leases';
export const TEST_EVENT_ID_LEASES_COLLECTION = 'test_event_id_leases';

interface LeaseDocument {
  /** The lease's number: 1, 2, 3... with no number skipped. */
  _id: number;
  /** How many event_ids it holds. */
  count: number;
  /** Its first event_id; null when its taker did not know it (see lease): it follows the lease before. */
  first: number | null;
}

/**
 * Leases kept below the newest; older ones are deleted now and then. Leases are taken one after
 * another, each at least one round trip: KEEP of them take seconds, far longer than TRUST_MS, so a
 * writer never holds knowledge of a deleted lease (and can never insert one again).
 */
const KEEP = 2_000;
const PRUNE_EVERY = 200;
/** What a writer knows of the newest lease is read again when older than this. */
const TRUST_MS = 250;

/** Numbering figures since start, for the metrics. */
export interface NumberingStats {
  /** Leases taken. */
  leases: number;
  /** Numbering attempts refused because another instance took the lease (or, in the writer, the event_id). */
  conflicts: number;
  /** Attempts made again after such a refusal. */
  retries: number;
  /** Time spent taking leases, lost attempts included (what numbering costs each batch). */
  leaseSeconds: number;
}

interface Known {
  lease: number;
  /** Its last event_id. */
  last: number;
  at: number;
}

/**
 * Hands out event_ids in leases: lease n+1 is the range right after lease n, taken by inserting
 * document n+1, which a unique `_id` lets only one instance do (atomic on FerretDB as on MongoDB,
 * where an update is not atomic on FerretDB). Leases are contiguous and taken one after another,
 * so a lease taken after another ended holds larger numbers: that is what makes an event received
 * after another's 201 get a larger event_id (the writer takes a batch's lease after its events
 * were received).
 *
 * An instance that finds n+1 taken tries n+2 at once, without first reading n+1 (so the instance
 * that lost does not fall a round trip behind the one that won, again and again), inserting it
 * without its first event_id; once it holds it, it reads n+1, and its range follows. Lost twice,
 * it reads every lease above what it knew (a few small documents) and goes on from the newest,
 * rather than crawl up one lease at a time behind instances that keep taking them. (Reading
 * before every lease while others are busy was measured: fewer conflicts, more time per lease.)
 *
 * Where to start: what this instance last leased (when recent), else the newest lease (a sort: a
 * scan of at most KEEP small documents on FerretDB, after an idle second), else the first lease
 * starts above every event stored (or reserved in the event_id hint). No hint of the newest lease
 * is kept: on FerretDB, updates from several instances slow every write to the database.
 */
export class EventIdLeases {
  private known: Known | undefined;
  readonly stats: NumberingStats = { leases: 0, conflicts: 0, retries: 0, leaseSeconds: 0 };

  constructor(
    private readonly leases: Collection<LeaseDocument>,
    /** The highest event_id stored or reserved, for the first lease ever. */
    private readonly highestStored: () => Promise<number>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** `count` event_ids that no other lease holds, above those of every lease taken before. */
  async lease(count: number): Promise<{ first: number; last: number }> {
    const started = performance.now();
    try {
      return await this.take(count);
    } finally {
      this.stats.leaseSeconds += (performance.now() - started) / 1000;
    }
  }

  private async take(count: number): Promise<{ first: number; last: number }> {
    let known = this.known && this.now() - this.known.at < TRUST_MS ? this.known : await this.newest();
    // A lease's outcome may be unknown: until this one is settled, the database is asked anew.
    this.known = undefined;
    let lost = 0;
    for (;;) {
      try {
        await this.leases.insertOne({ _id: known.lease + lost + 1, count, first: lost === 0 ? known.last + 1 : null });
        break;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        this.stats.conflicts += 1;
        this.stats.retries += 1;
        // Lost twice: others are further ahead than one lease; read where they are.
        if (++lost >= 2) [known, lost] = [await this.newestAfter(known), 0];
      }
    }
    const lease = known.lease + lost + 1;
    // The lease lost to, read now: ours follows it.
    const first = lost === 0 ? known.last + 1 : (await this.after(known)).last + 1;
    this.known = { lease, last: first + count - 1, at: this.now() };
    this.stats.leases += 1;
    if (lease % PRUNE_EVERY === 0 && lease > KEEP) void this.leases.deleteMany({ _id: { $lt: lease - KEEP } }).catch(() => undefined);
    return { first, last: first + count - 1 };
  }

  /** Creates the collection before any lease (see ensureCollection). */
  prepare(): Promise<void> {
    return ensureCollection(this.leases.db, this.leases.collectionName);
  }

  /** The lease right after `known`, and its last event_id. */
  private async after(known: Known): Promise<Known> {
    const doc = await this.leases.findOne({ _id: known.lease + 1 });
    if (!doc) throw new Error(`event_id lease ${known.lease + 1} is gone`);
    return { lease: doc._id, last: (doc.first ?? known.last + 1) + doc.count - 1, at: this.now() };
  }

  /** The newest lease after `known` (one read of the few leases above it), and its last event_id. */
  private async newestAfter(known: Known): Promise<Known> {
    const docs = (await this.leases.find({ _id: { $gt: known.lease } }).toArray()).sort((a, b) => a._id - b._id);
    let newest = known;
    for (const doc of docs) {
      if (doc._id !== newest.lease + 1) break;
      newest = { lease: doc._id, last: (doc.first ?? newest.last + 1) + doc.count - 1, at: this.now() };
    }
    return newest;
  }

  /** The newest lease and its last event_id, read back to the nearest lease that states its first. */
  private async newest(): Promise<Known> {
    const [top] = await this.leases.find({}, { sort: { _id: -1 }, limit: 1 }).toArray();
    if (!top) return { lease: 0, last: await this.highestStored(), at: this.now() };
    const chain = [top];
    while (chain[0]!.first === null) {
      const doc = await this.leases.findOne({ _id: chain[0]!._id - 1 });
      if (!doc) throw new Error(`event_id lease ${chain[0]!._id - 1} is gone`);
      chain.unshift(doc);
    }
    const held = chain.reduce((sum, doc) => sum + doc.count, 0);
    return { lease: top._id, last: chain[0]!.first + held - 1, at: this.now() };
  }
}

/** The leases of the events in one collection (live or test). */
export function eventIdLeases(db: Db, collection: string, highestStored: () => Promise<number>): EventIdLeases {
  return new EventIdLeases(db.collection<LeaseDocument>(collection), highestStored);
}
