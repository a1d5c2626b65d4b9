import { MongoClient, type Db } from 'mongodb';
import { createLogger } from '../../src/logger';
import { start } from '../../src/service';
import { loadConfig } from '../../src/config';
import { EVENTS_COLLECTION } from '../../src/store/eventStore';
import { chunkKey, FEED_CHUNKS_COLLECTION } from '../../src/store/feedChunk';
import { FEED_HEAD_SEQUENCE } from '../../src/store/feedSequencer';
import { MIGRATIONS, MIGRATIONS_COLLECTION, runMigrations } from '../../src/store/migrations';
import { SEQUENCES_COLLECTION } from '../../src/store/sequences';
import { dbNameFor, testDatabaseUri } from '../helpers/testApp';
import { startWireTap } from '../helpers/wireTap';

let client: MongoClient;
beforeAll(async () => {
  client = await MongoClient.connect(testDatabaseUri());
});
afterAll(() => client.close());

let databases = 0;
const freshDb = (): Db => client.db(`${dbNameFor(__filename)}_${++databases}`);

/** Starts the real service on `db` through a wire tap, and stops it; returns every command it sent. */
async function startAndStop(db: Db) {
  const tap = await startWireTap(Number(new URL(testDatabaseUri()).port));
  try {
    const config = { ...loadConfig({}), port: 0, mongodbDb: db.databaseName, mongodbUri: tap.uri };
    const service = await start(config, { logger: createLogger('silent') });
    await service.stop();
    return tap.commands;
  } finally {
    await tap.close();
  }
}

/** Commands that read events (find, aggregate, count, distinct on the events collection). */
const readsOfEvents = (commands: Record<string, unknown>[]) =>
  commands.filter((c) => ['find', 'aggregate', 'count', 'distinct'].some((verb) => c[verb] === EVENTS_COLLECTION));

describe('start-up and migrations', () => {
  test('when events stored before idempotency keys existed are found at the first start, then each gets a key of its own, once, and the migration is marked done', async () => {
    const db = freshDb();
    await db.collection(EVENTS_COLLECTION).insertMany([1, 2, 3].map((event_id) => ({ event_id, appointment_id: `old-${event_id}` })));

    await startAndStop(db);

    const events = await db.collection(EVENTS_COLLECTION).find({}, { sort: { event_id: 1 } }).toArray();
    expect(events.map((e) => e.idempotency_key)).toEqual(['legacy:1', 'legacy:2', 'legacy:3']);
    const markers = await db.collection(MIGRATIONS_COLLECTION).find({}).toArray();
    expect(markers.map((m) => m._id)).toEqual(MIGRATIONS.map((m) => m.id));
  });

  test('when the service starts again, then it reads no events at all: start-up does not grow with the data', async () => {
    const db = freshDb();
    await startAndStop(db);
    // An old-style event put there after the migration ran is left alone: nothing scans for it.
    await db.collection(EVENTS_COLLECTION).insertOne({ event_id: 1, appointment_id: 'after-the-marker' });

    const commands = await startAndStop(db);

    expect(commands.length).toBeGreaterThan(0);
    expect(readsOfEvents(commands)).toEqual([]);
    expect((await db.collection(EVENTS_COLLECTION).findOne({ event_id: 1 }))?.idempotency_key).toBeUndefined();
  });

  test('when two instances start at once on a new database, then both start, and the migration is marked once', async () => {
    const db = freshDb();
    await Promise.all([startAndStop(db), startAndStop(db)]);
    expect(await db.collection(MIGRATIONS_COLLECTION).countDocuments()).toBe(MIGRATIONS.length);
  });

  test('when feed chunks of the first form (numbered keys) are found, then the feed is emptied to be rebuilt: chunks, head and marks; chunks of the new form are left alone', async () => {
    const old = freshDb();
    await old.collection(FEED_CHUNKS_COLLECTION).insertOne({ _id: 1 as never, first_position: 1, events: [] });
    await old.collection(EVENTS_COLLECTION).insertOne({ event_id: 1, feed_chunk: 1 });
    await old.collection(SEQUENCES_COLLECTION).insertOne({ _id: FEED_HEAD_SEQUENCE as never, highest: 1 });
    await runMigrations(old);
    expect(await old.collection(FEED_CHUNKS_COLLECTION).countDocuments()).toBe(0);
    expect(await old.collection(SEQUENCES_COLLECTION).countDocuments({ _id: FEED_HEAD_SEQUENCE as never })).toBe(0);
    expect(await old.collection(EVENTS_COLLECTION).findOne({}, { projection: { _id: 0, event_id: 1, feed_chunk: 1 } })).toEqual({ event_id: 1 });

    const current = freshDb();
    await current.collection(FEED_CHUNKS_COLLECTION).insertOne({ _id: chunkKey(1) as never, number: 1, first_position: 1, count: 0, events: '[]' });
    await runMigrations(current);
    expect(await current.collection(FEED_CHUNKS_COLLECTION).countDocuments()).toBe(1);
  });
});
