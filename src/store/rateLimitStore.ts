import type { Db } from 'mongodb';
import { hasErrorCode, isDuplicateKey } from './dbErrors';

/** One small document per lease of a partner's shared rate limit (see src/limits/leaseSlots.ts). */
export const RATE_LIMIT_LEASES_COLLECTION = 'rate_limit_leases';

/** On the local database the leases get a database of their own, as FHIR starts do (see stores.ts). */
export const leasesDatabaseName = (dbName: string): string => `${dbName}_limits`;

/**
 * How long a lease document is kept past its slot: an instance whose clock lags by less than this
 * still finds the slots it tries taken, rather than winning them a second time.
 */
const KEPT_PAST_EXPIRY_MS = 30_000;
/** How often an instance deletes old leases where no TTL index does. */
const SWEEP_EVERY_MS = 10_000;
/** MongoDB's answer when an index of that name exists with other options. */
const INDEX_OPTIONS_CONFLICT = 85;

interface LeaseDocument {
  _id: string;
  expires_at: Date;
}

export interface LeaseStore {
  /** Inserts lease `id`: true when this call won it, false when another had (a duplicate key). */
  claim(id: string, expiresAt: Date): Promise<boolean>;
}

/**
 * The leases: an insert each, never a read or an update (FerretDB runs updates as a read then a
 * write, so two instances could both win; a duplicate _id is refused atomically everywhere).
 * MongoDB deletes old ones through a TTL index; on the local database the instance that claims
 * deletes them now and then, in the background.
 */
export async function openLeaseStore(db: Db, options: { ttlIndexes: boolean }): Promise<LeaseStore> {
  const leases = db.collection<LeaseDocument>(RATE_LIMIT_LEASES_COLLECTION);
  if (options.ttlIndexes) {
    const ttl = { name: 'expires_at_ttl', expireAfterSeconds: KEPT_PAST_EXPIRY_MS / 1000 };
    await leases.createIndex({ expires_at: 1 }, ttl).catch(async (err: unknown) => {
      if (!hasErrorCode(err, INDEX_OPTIONS_CONFLICT)) throw err;
      await db.command({ collMod: RATE_LIMIT_LEASES_COLLECTION, index: ttl });
    });
  } else {
    // Made at start-up, so the first lease is not the one that waits while the database creates its collection.
    await leases.createIndex({ expires_at: 1 }, { name: 'expires_at' });
  }
  let nextSweep = 0;
  const sweep = () => {
    const now = Date.now();
    if (options.ttlIndexes || now < nextSweep) return;
    nextSweep = now + SWEEP_EVERY_MS;
    // A failed sweep is retried at the next one; the claims themselves report the database's state.
    leases.deleteMany({ expires_at: { $lt: new Date(now - KEPT_PAST_EXPIRY_MS) } }).catch(() => undefined);
  };
  return {
    async claim(id, expiresAt) {
      sweep();
      try {
        // The primary's acknowledgement is enough: a lease lost in a failover lets at most one lease through twice.
        await leases.insertOne({ _id: id, expires_at: expiresAt }, { writeConcern: { w: 1 } });
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    },
  };
}
