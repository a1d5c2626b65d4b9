import { MongoClient, type Db } from 'mongodb';
import { toUnnumberedDocument, type EventDocument } from '../../src/store/eventDocument';
import { eventIdLeases, EVENT_ID_LEASES_COLLECTION } from '../../src/store/eventIdLeases';
import { EVENTS_COLLECTION, openEventStore } from '../../src/store/eventStore';
import { SEQUENCES_COLLECTION } from '../../src/store/sequences';
import { anEvent } from '../helpers/builders';
import { dbNameFor, testDatabaseUri } from '../helpers/testApp';

const clients: MongoClient[] = [];
let db: Db;
const dbName = dbNameFor(__filename);

beforeAll(async () => {
  for (let i = 0; i < 3; i++) clients.push(await MongoClient.connect(testDatabaseUri()));
  db = clients[0]!.db(dbName);
});
beforeEach(() => db.dropDatabase());
afterAll(() => Promise.all(clients.map((c) => c.close())));

describe('event_id leases', () => {
  test('when three instances lease at once, then the ranges are disjoint and without gaps, and a lease taken after another ended lies above it', async () => {
    const instances = clients.map((c) => eventIdLeases(c.db(dbName), EVENT_ID_LEASES_COLLECTION, () => Promise.resolve(0)));
    await instances[0]!.prepare();
    const taken: { first: number; last: number; asked: number; got: number }[] = [];
    await Promise.all(
      instances.map(async (leases, i) => {
        for (let n = 0; n < 40; n++) {
          const asked = performance.now();
          const range = await leases.lease(1 + ((n + i) % 5));
          taken.push({ ...range, asked, got: performance.now() });
        }
      }),
    );

    const ids = taken.flatMap(({ first, last }) => Array.from({ length: last - first + 1 }, (_, i) => first + i)).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
    const disorders = taken.filter((b) => taken.some((a) => a.got < b.asked && b.first <= a.last));
    expect(disorders).toEqual([]);
    // The race was real: some leases were lost to another instance, and taken again.
    expect(instances.reduce((n, l) => n + l.stats.conflicts, 0)).toBeGreaterThan(0);
  });

  test('when no lease was ever taken, then the first starts above both the events stored and the numbers reserved in the hint', async () => {
    await db.collection<{ _id: string; highest: number }>(SEQUENCES_COLLECTION).insertOne({ _id: 'event_id', highest: 100 });
    await db.collection<EventDocument>(EVENTS_COLLECTION).insertOne({ ...toUnnumberedDocument(anEvent() as never, new Date(), 'p', { key: 'stored-before', fingerprint: 'f' }), event_id: 150 });
    const store = await openEventStore(db, { timeoutMs: 5000 });
    const saved = await store.saveEvent(anEvent() as never, new Date(), 'p', { key: 'first-leased', fingerprint: 'g', source: 'payload' });
    expect(saved.accepted.event_id).toBe(151);
    expect(store.numbering()).toMatchObject({ leases: 1, conflicts: 0 });
  });
});
