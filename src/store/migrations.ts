import type { Db } from 'mongodb';
import { isDuplicateKey } from './dbErrors';
import { EVENTS_COLLECTION, seedEventIdHint, TEST_EVENTS_COLLECTION } from './eventStore';
import { readableEvent, type EventDocument, type ReadableEvent } from './eventDocument';
import { FEED_CHUNKS_COLLECTION, toChunkDocument } from './feedChunk';
import { feedHead } from './feedSequencer';
import { PENDING_NOTIFICATIONS_COLLECTION } from './pendingNotifications';
import type { KeyMode } from './partnerStore';
import { openVersionKeys } from './versionKeys';
import { moveStartsToClaims } from './startsMigration';

export const MIGRATIONS_COLLECTION = 'migrations';

interface MigrationDocument {
  _id: string;
  done_at: Date;
}

/** Where stores kept beside the events' database live (the same database, but on the local one). */
export interface MigrationPlaces {
  versionKeys: Db;
  pending: Db;
  /** Where FHIR starts were kept before they joined the version claims. */
  starts: Db;
}

/** A one-off change to stored data. Each runs once per database, ever: a marker records it. */
export interface Migration {
  id: string;
  run(db: Db, places: MigrationPlaces): Promise<void>;
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

/** FHIR versions stored before versions were claimed get their claims (see versionKeys.ts), so a notification naming one with other content is refused. */
const storedVersionsClaimed: Migration = {
  id: '2026-12-fhir-version-keys',
  async run(db, places) {
    const versionKeys = await openVersionKeys(places.versionKeys);
    const collections: [KeyMode, string][] = [
      ['live', EVENTS_COLLECTION],
      ['test', TEST_EVENTS_COLLECTION],
    ];
    for (const [mode, name] of collections) {
      const versions = db.collection<EventDocument>(name).find({ format: 'fhir', control_id: { $exists: true } }, { projection: { _id: 0, idempotency_key: 1, payload_fingerprint: 1 } });
      const batch: { key: string; fingerprint: string }[] = [];
      const flush = () => versionKeys.claim(mode, batch.splice(0), CLAIM_TIMEOUT_MS);
      for await (const doc of versions) {
        batch.push({ key: doc.idempotency_key, fingerprint: doc.payload_fingerprint });
        if (batch.length === 1000) await flush();
      }
      await flush();
    }
  },
};
const CLAIM_TIMEOUT_MS = 60_000;

/**
 * Notification records (write-ahead, see pendingNotifications.ts) moved to a database of their own
 * on the local database: one left by a write cut short under the earlier build is moved there, so
 * that it is still completed. Nothing moves where both are the same database.
 */
const pendingRecordsMoved: Migration = {
  id: '2026-12-pending-notifications-place',
  async run(db, places) {
    if (places.pending.databaseName === db.databaseName) return;
    const from = db.collection<{ _id: string }>(PENDING_NOTIFICATIONS_COLLECTION);
    const to = places.pending.collection<{ _id: string }>(PENDING_NOTIFICATIONS_COLLECTION);
    for await (const record of from.find({})) {
      try {
        await to.insertOne(record);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err; // moved by another instance
      }
      await from.deleteOne({ _id: record._id });
    }
  },
};

/** FHIR starts joined the version claims (see startsMigration.ts). */
const startsJoinClaims: Migration = {
  id: '2026-12-fhir-starts-with-claims',
  run: (_db, places) => moveStartsToClaims(places),
};

export const MIGRATIONS: readonly Migration[] = [olderEventsGetAKey, eventIdHint, feedChunksKeyedByString, storedVersionsClaimed, pendingRecordsMoved, startsJoinClaims];

/**
 * Runs the migrations this database has not had yet, in order, and marks each done. Start-up
 * then costs one read of a small collection, however many events are stored. Two instances
 * starting at once may both run a migration; each is written to be safe to repeat.
 */
export async function runMigrations(db: Db, places: MigrationPlaces = { versionKeys: db, pending: db, starts: db }, migrations: readonly Migration[] = MIGRATIONS): Promise<string[]> {
  const markers = db.collection<MigrationDocument>(MIGRATIONS_COLLECTION);
  const done = new Set((await markers.find({}, { projection: { _id: 1 } }).toArray()).map((m) => m._id));
  const ran: string[] = [];
  for (const migration of migrations) {
    if (done.has(migration.id)) continue;
    await migration.run(db, places);
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
