import type { Db } from 'mongodb';
import { isDuplicateKey } from './dbErrors';
import { EVENTS_COLLECTION, seedEventIdHint } from './eventStore';
import { FEED_CHUNKS_COLLECTION } from './feedChunk';
import { FEED_HEAD_SEQUENCE } from './feedSequencer';
import { SEQUENCES_COLLECTION } from './sequences';

export const MIGRATIONS_COLLECTION = 'migrations';

interface MigrationDocument {
  _id: string;
  done_at: Date;
}

/** A one-off change to stored data. Each runs once per database, ever: a marker records it. */
export interface Migration {
  id: string;
  run(db: Db): Promise<void>;
}

/**
 * Events stored before idempotency keys existed have none; a unique index counts every missing
 * key as the same value, so each gets one of its own (FerretDB has no partial indexes). This
 * reads the whole events collection, which is why it must run once, not at every start.
 */
const olderEventsGetAKey: Migration = {
  id: '2026-11-events-idempotency-key',
  async run(db) {
    const events = db.collection<{ event_id: number; idempotency_key?: string }>(EVENTS_COLLECTION);
    const older = events.find({ idempotency_key: { $exists: false } }, { projection: { _id: 1, event_id: 1 } });
    for await (const doc of older) {
      await events.updateOne({ _id: doc._id }, { $set: { idempotency_key: `legacy:${doc.event_id}`, payload_fingerprint: '' } });
    }
  },
};

/**
 * The writer numbers events from a hint of the highest event_id (see EventWriter). Databases
 * written before the hint existed get it from the events once, here, rather than at a first write.
 */
const eventIdHint: Migration = {
  id: '2026-11-event-id-hint',
  run: seedEventIdHint,
};

/**
 * Feed chunks were first keyed by number and held their events as documents; the local database
 * finds a document by `_id` only when it is a string, and reads one text far faster than many
 * documents, so they are now keyed by chunkKey(n) and hold their events as one text. Only builds
 * before 1.3.0 was released wrote the old form, and the feed is derived from the events, so it
 * is rebuilt rather than converted.
 */
const feedChunksKeyedByString: Migration = {
  id: '2026-11-feed-chunk-keys',
  async run(db) {
    const chunks = db.collection<{ _id: unknown; number?: unknown; events?: unknown }>(FEED_CHUNKS_COLLECTION);
    // Every chunk has the same form, so one tells.
    const one = await chunks.findOne({}, { sort: { _id: 1 } });
    if (!one || (typeof one.number === 'number' && typeof one.events === 'string')) return;
    await chunks.deleteMany({});
    await db.collection<{ _id: string }>(SEQUENCES_COLLECTION).deleteOne({ _id: FEED_HEAD_SEQUENCE });
    await db.collection(EVENTS_COLLECTION).updateMany({ feed_chunk: { $exists: true } }, { $unset: { feed_chunk: '' } });
  },
};

export const MIGRATIONS: readonly Migration[] = [olderEventsGetAKey, eventIdHint, feedChunksKeyedByString];

/**
 * Runs the migrations this database has not had yet, in order, and marks each done. Start-up
 * then costs one read of a small collection, however many events are stored. Two instances
 * starting at once may both run a migration; each is written to be safe to repeat.
 */
export async function runMigrations(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<string[]> {
  const markers = db.collection<MigrationDocument>(MIGRATIONS_COLLECTION);
  const done = new Set((await markers.find({}, { projection: { _id: 1 } }).toArray()).map((m) => m._id));
  const ran: string[] = [];
  for (const migration of migrations) {
    if (done.has(migration.id)) continue;
    await migration.run(db);
    try {
      await markers.insertOne({ _id: migration.id, done_at: new Date() });
    } catch (err) {
      // Another instance finished the same migration first and marked it.
      if (!isDuplicateKey(err)) throw err;
    }
    ran.push(migration.id);
  }
  return ran;
}
