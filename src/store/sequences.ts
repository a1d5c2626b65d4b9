import type { Collection, Db } from 'mongodb';
import { isDuplicateKey, maxTimeMS } from './dbErrors';

/** Small documents keyed by name, each the highest of something taken so far (see its users). */
export const SEQUENCES_COLLECTION = 'sequences';

interface SequenceDocument {
  _id: string;
  highest: number;
}

/** One named sequence: read, and raised (never lowered). A lookup by `_id` in a small collection. */
export interface Sequence {
  /** The highest recorded (0 when none is); the database gives up after `maxTimeMs` when given. */
  read(maxTimeMs?: number): Promise<number>;
  raise(highest: number): Promise<void>;
}

export function sequence(db: Db, name: string): Sequence {
  const sequences: Collection<SequenceDocument> = db.collection<SequenceDocument>(SEQUENCES_COLLECTION);
  // Acknowledged by the primary alone: every sequence here is a hint that may lag, never lead.
  const raise = (highest: number) => sequences.updateOne({ _id: name }, { $max: { highest } }, { upsert: true, writeConcern: { w: 1 } });
  return {
    read: async (maxTimeMs) => (await sequences.findOne({ _id: name }, maxTimeMs === undefined ? {} : { maxTimeMS: maxTimeMS(maxTimeMs) }))?.highest ?? 0,
    async raise(highest) {
      try {
        await raise(highest);
      } catch (err) {
        // Two first raises at once both try to insert the document; the loser updates it instead.
        if (!isDuplicateKey(err)) throw err;
        await raise(highest);
      }
    },
  };
}
