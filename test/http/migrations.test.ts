import { type Db, type Document } from 'mongodb';
import { createLogger } from '../../src/logger';
import { start } from '../../src/service';
import { loadConfig } from '../../src/config';
import { EVENTS_COLLECTION, TEST_EVENTS_COLLECTION } from '../../src/store/eventStore';
import { TEST_VERSION_KEYS_COLLECTION, VERSION_KEYS_COLLECTION } from '../../src/store/versionKeys';
import { APPOINTMENT_STARTS_COLLECTION, startId } from '../../src/store/appointmentStarts';
import { chunkKey, FEED_CHUNKS_COLLECTION, fromChunkDocument, type ChunkDocument } from '../../src/store/feedChunk';
import { FEED_HEAD_SEQUENCE } from '../../src/store/feedSequencer';
import { MIGRATIONS, MIGRATIONS_COLLECTION, runMigrations } from '../../src/store/migrations';
import { PENDING_NOTIFICATIONS_COLLECTION } from '../../src/store/pendingNotifications';
import { SEQUENCES_COLLECTION } from '../../src/store/sequences';
import { freshDatabases } from '../helpers/freshDatabases';
import { testDatabaseUri } from '../helpers/testApp';
import { startWireTap } from '../helpers/wireTap';

const { client, freshDb } = freshDatabases(__filename);

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

  test('when FHIR versions were stored before versions were claimed, then the first start claims each for its content, live and test apart', async () => {
    const db = freshDb();
    const fhir = (key: string, fingerprint: string) => ({ _id: key, idempotency_key: key, payload_fingerprint: fingerprint, format: 'fhir', control_id: `Appointment/${key}/_history/1` });
    await db.collection<{ _id: string } & Document>(EVENTS_COLLECTION).insertMany([fhir('v1', 'A'), { _id: 'json', idempotency_key: 'json', payload_fingerprint: 'J' }]);
    await db.collection<{ _id: string }>(TEST_EVENTS_COLLECTION).insertOne(fhir('t1', 'T'));

    await runMigrations(db);

    const claimed = async (name: string) => (await db.collection(name).find({}).toArray()).map((d) => d._id as unknown as string).sort();
    expect(await claimed(VERSION_KEYS_COLLECTION)).toEqual(['c|v1|A', 'k|v1']);
    expect(await claimed(TEST_VERSION_KEYS_COLLECTION)).toEqual(['c|t1|T', 'k|t1']);
  });

  test('when notification records were left where the earlier build kept them, then each is moved to where records are kept now', async () => {
    const db = freshDb();
    const place = client().db(`${db.databaseName}_records`);
    await db.collection<{ _id: string } & Document>(PENDING_NOTIFICATIONS_COLLECTION).insertMany([{ _id: 'r1', partner: 'p', attempts: 0 }, { _id: 'r2', partner: 'p', attempts: 2 }]);

    await runMigrations(db, { versionKeys: db, pending: place, starts: db });

    expect(await db.collection(PENDING_NOTIFICATIONS_COLLECTION).countDocuments()).toBe(0);
    expect(await place.collection(PENDING_NOTIFICATIONS_COLLECTION).find({}).sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'r1', partner: 'p', attempts: 0 },
      { _id: 'r2', partner: 'p', attempts: 2 },
    ]);
  });

  test('when FHIR starts were kept apart by the earlier build, then each joins its mode\'s version claims, where one is there already the newer stays, and the old collection goes', async () => {
    const db = freshDb();
    const old = freshDb();
    const start = (at: string) => ({ start: new Date(at), as_of: new Date(at), previous: null });
    await old.collection<{ _id: string } & Document>(APPOINTMENT_STARTS_COLLECTION).insertMany([
      { _id: JSON.stringify(['live', 'p', 'a1']), ...start('2025-01-10T12:00:00Z') },
      { _id: JSON.stringify(['test', 'p', 'a1']), ...start('2025-01-11T12:00:00Z') },
      { _id: JSON.stringify(['live', 'p', 'a2']), ...start('2025-01-12T12:00:00Z') },
      { _id: JSON.stringify(['live', 'p', 'a3']), ...start('2025-03-01T12:00:00Z') },
    ]);
    await db.collection<{ _id: string } & Document>(VERSION_KEYS_COLLECTION).insertMany([
      { _id: startId('p', 'a2'), at: new Date(), ...start('2025-02-01T12:00:00Z') },
      { _id: startId('p', 'a3'), at: new Date(), ...start('2025-01-01T12:00:00Z') },
    ]);

    await runMigrations(db, { versionKeys: db, pending: db, starts: old });

    const starts = async (name: string) => (await db.collection(name).find({ _id: { $regex: '^s\\|' } as never }).toArray()).map((d) => [d._id, (d.start as Date).toISOString()]).sort();
    expect(await starts(VERSION_KEYS_COLLECTION)).toEqual([
      [startId('p', 'a1'), '2025-01-10T12:00:00.000Z'],
      [startId('p', 'a2'), '2025-02-01T12:00:00.000Z'],
      [startId('p', 'a3'), '2025-03-01T12:00:00.000Z'],
    ]);
    expect(await starts(TEST_VERSION_KEYS_COLLECTION)).toEqual([[startId('p', 'a1'), '2025-01-11T12:00:00.000Z']]);
    expect((await old.listCollections({ name: APPOINTMENT_STARTS_COLLECTION }).toArray()).length).toBe(0);
  });

  test('when two workers move many FHIR starts at once, then both finish, and every start is moved once', async () => {
    const db = freshDb();
    const old = freshDb();
    const count = 2500;
    const docs = Array.from({ length: count }, (_, i) => ({ _id: JSON.stringify(['live', 'p', `a${i}`]), start: new Date(), as_of: new Date(), previous: null }));
    await old.collection<{ _id: string } & Document>(APPOINTMENT_STARTS_COLLECTION).insertMany(docs);
    const places = { versionKeys: db, pending: db, starts: old };

    await Promise.all([runMigrations(db, places), runMigrations(db, places)]);

    expect(await db.collection(VERSION_KEYS_COLLECTION).countDocuments({ _id: { $regex: '^s\\|' } as never })).toBe(count);
    expect((await old.listCollections({ name: APPOINTMENT_STARTS_COLLECTION }).toArray()).length).toBe(0);
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

  test('when feed chunks of the first form (numbered keys, events as documents) are found, then each is rewritten with its number, position and events unchanged, marks kept and the head raised; running it again changes nothing', async () => {
    const old = freshDb();
    const events = [1, 2].map((event_id) => ({
      key: `k${event_id}`,
      event_id,
      partner: 'p',
      event_type: 'appointment.scheduled',
      appointment_id: `A${event_id}`,
      patient_id: 'P1',
      timestamp: new Date('2025-01-10T12:30:00Z'),
      timestamp_text: '2025-01-10T12:30:00Z',
      notes: event_id === 1 ? null : 'second',
      received_at: new Date('2026-11-29T10:00:00.123Z'),
    }));
    await old.collection(FEED_CHUNKS_COLLECTION).insertMany([
      { _id: 1 as never, first_position: 1, events: events.slice(0, 1), created_at: new Date() },
      { _id: 2 as never, first_position: 2, events: events.slice(1), created_at: new Date() },
    ]);
    await old.collection(EVENTS_COLLECTION).insertOne({ event_id: 1, feed_chunk: 1 });
    await runMigrations(old);
    await old.collection(MIGRATIONS_COLLECTION).deleteMany({});
    await runMigrations(old);

    const chunks = await old.collection<ChunkDocument>(FEED_CHUNKS_COLLECTION).find({}).sort({ _id: 1 }).toArray();
    expect(chunks.map((c) => [c._id, c.number, c.first_position, c.count])).toEqual([
      [chunkKey(1), 1, 1, 1],
      [chunkKey(2), 2, 2, 1],
    ]);
    const strip = ({ key: _key, ...readable }: (typeof events)[number]) => readable;
    expect(chunks.flatMap((c) => fromChunkDocument(c).events)).toEqual(events.map(strip));
    expect(await old.collection(SEQUENCES_COLLECTION).findOne({ _id: FEED_HEAD_SEQUENCE as never })).toMatchObject({ highest: 2 });
    expect(await old.collection(EVENTS_COLLECTION).findOne({}, { projection: { _id: 0, event_id: 1, feed_chunk: 1 } })).toEqual({ event_id: 1, feed_chunk: 1 });
  });
});
