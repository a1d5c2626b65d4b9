import type { Db } from 'mongodb';
import { hasErrorCode } from './dbErrors';
import { repeatEvery } from '../repeat';

/** Documents deleted per round of a bounded delete, and rounds per collection and pass at most. */
const BATCH = 1000;
const ROUNDS_PER_PASS = 20;
/** MongoDB's answer when an index of that name exists with other options (another retention). */
const INDEX_OPTIONS_CONFLICT = 85;

export interface RetentionRule {
  /** Where the collection is, when not in the retention's own database. */
  db?: Db;
  collection: string;
  /** The date field that ages a document. */
  field: string;
  /** How long a document is kept, in milliseconds. */
  keepMs: number;
}

/**
 * Keeps collections to their retention. Where the database has TTL indexes (MongoDB) one is
 * created, or changed when the retention was changed, and the database deletes; where it has
 * none (the local FerretDB) `sweep` deletes what is past it in bounded rounds, so one pass never
 * holds the database for long.
 */
export class Retention {
  constructor(
    private readonly db: Db,
    private readonly rules: readonly RetentionRule[],
    private readonly hasTtlIndexes: boolean,
  ) {}

  async createIndexes(): Promise<void> {
    if (!this.hasTtlIndexes) return;
    for (const { db = this.db, collection, field, keepMs } of this.rules) {
      const name = `${field}_ttl`;
      const expireAfterSeconds = Math.max(1, Math.round(keepMs / 1000));
      try {
        await db.collection(collection).createIndex({ [field]: 1 }, { name, expireAfterSeconds });
      } catch (err) {
        if (!hasErrorCode(err, INDEX_OPTIONS_CONFLICT)) throw err;
        await db.command({ collMod: collection, index: { name, expireAfterSeconds } });
      }
    }
  }

  /** Sweeps every `intervalMs` (one pass at a time) until the returned function is called. */
  keepSweeping(intervalMs: number, onError: (err: unknown) => void): () => Promise<void> {
    return repeatEvery(intervalMs, () => this.sweep(new Date()), onError);
  }

  /** Deletes what is past retention where no TTL index does it; resolves with how many were deleted. */
  async sweep(now: Date): Promise<number> {
    if (this.hasTtlIndexes) return 0;
    let deleted = 0;
    for (const { db = this.db, collection: name, field, keepMs } of this.rules) {
      const collection = db.collection(name);
      const cutoff = new Date(now.getTime() - keepMs);
      for (let round = 0; round < ROUNDS_PER_PASS; round++) {
        const ids = (await collection.find({ [field]: { $lt: cutoff } }, { projection: { _id: 1 }, limit: BATCH }).toArray()).map((d) => d._id);
        if (ids.length === 0) break;
        deleted += (await collection.deleteMany({ _id: { $in: ids } })).deletedCount;
        if (ids.length < BATCH) break;
      }
    }
    return deleted;
  }
}
