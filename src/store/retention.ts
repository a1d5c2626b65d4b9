import type { Collection, Document } from 'mongodb';

/** Documents deleted per round of a bounded delete, and rounds per pass at most. */
const BATCH = 1000;
const ROUNDS_PER_PASS = 20;

export interface RetentionRule {
  collection: Collection<Document>;
  /** The date field that ages a document. */
  field: string;
  /** How long a document is kept, in milliseconds. */
  keepMs: number;
}

/**
 * Keeps a collection to its retention. Where the database has TTL indexes (MongoDB) one is
 * created and the database deletes; where it has none (the local FerretDB) `sweep` deletes what
 * is past it in bounded rounds, so one pass never holds the database for long.
 */
export class Retention {
  constructor(
    private readonly rules: readonly RetentionRule[],
    private readonly hasTtlIndexes: boolean,
  ) {}

  async createIndexes(): Promise<void> {
    for (const { collection, field, keepMs } of this.rules) {
      const name = `${field}_ttl`;
      if (this.hasTtlIndexes) await collection.createIndex({ [field]: 1 }, { name, expireAfterSeconds: Math.max(1, Math.round(keepMs / 1000)) });
    }
  }

  /** Deletes what is past retention where no TTL index does it; resolves with how many were deleted. */
  async sweep(now: Date): Promise<number> {
    if (this.hasTtlIndexes) return 0;
    let deleted = 0;
    for (const { collection, field, keepMs } of this.rules) {
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
