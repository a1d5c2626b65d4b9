import type { Db } from 'mongodb';
import { isDuplicateKey } from './dbErrors';
import { EVENTS_COLLECTION, seedEventIdHint } from './eventStore';
import { readableEvent, type ReadableEvent } from './eventDocument';
import { FEED_CHUNKS_COLLECTION, toChunkDocument } from './feedChunk';
import { feedHead } from './feedSequencer';

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

/** A feed chunk as the first builds wrote it. */
interface NumberedChunk {
  _id: number;
  first_position: number;
  events: ReadableEvent[];
}

/**
 * Feed chunks were first keyed by number and held their events as documents; the local database
 * matches a string `_id` without decoding every document, and reads one text far faster than many
 * documents, so chunks are now keyed by chunkKey(n) and hold their events as one text. Each is
 * rewritten with its number, first position and events unchanged, so consumers' cursors keep
 * their meaning and events marked with their chunk stay marked. Safe to repeat and to run from
 * two instances at once; instances of the earlier build must not run their feed sequencer
 * meanwhile (FEED_SEQUENCER=off), as they would go on writing the old form.
 */
const feedChunksKeyedByString: Migration = {
  id: '2026-11-feed-chunk-keys',
  async run(db) {
    const chunks = db.collection<{ _id: unknown }>(FEED_CHUNKS_COLLECTION);
    let newest = 0;
    for await (const doc of chunks.find({})) {
      if (!isNumbered(doc)) continue;
      try {
        await chunks.insertOne(toChunkDocument({ number: doc._id, first_position: doc.first_position, events: doc.events.map(readableEvent) }));
      } catch (err) {
        if (!isDuplicateKey(err)) throw err; // rewritten by another instance
      }
      newest = Math.max(newest, doc._id);
    }
    await chunks.deleteMany({ number: { $exists: false } });
    if (newest > 0) await feedHead(db).raise(newest);
  },
};

const isNumbered = (doc: { _id: unknown }): doc is NumberedChunk => typeof doc._id === 'number';

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
