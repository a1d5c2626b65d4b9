import type { Db } from 'mongodb';
import { DUPLICATE_KEY } from './dbErrors';
import { EVENTS_COLLECTION, seedEventIdHint } from './eventStore';

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

export const MIGRATIONS: readonly Migration[] = [olderEventsGetAKey, eventIdHint];

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
      if ((err as { code?: unknown }).code !== DUPLICATE_KEY) throw err;
    }
    ran.push(migration.id);
  }
  return ran;
}
