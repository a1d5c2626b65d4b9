import { MongoClient, type Collection, type Db } from 'mongodb';
import { toUnnumberedDocument, type EventDocument } from '../../src/store/eventDocument';
import { BLOCK_SIZE, EVENT_ID_BLOCKS_COLLECTION, EVENT_ID_LEASES_COLLECTION, EventIdLeases, eventIdLeases } from '../../src/store/eventIdLeases';
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

type Blocks = Collection<{ _id: number }>;
const blocksOf = (on: Db): Blocks => on.collection(EVENT_ID_BLOCKS_COLLECTION);

/** Blocks over `collection`, counting its reads; `clock` moves its steady time, and each insert moves it by `insertMs`. */
function countingLeases(collection: Blocks, clock = { now: 0 }, insertMs = 0): { leases: EventIdLeases; reads: () => number } {
  let reads = 0;
  const counted = new Proxy(collection, {
    get: (target, name, receiver) => {
      if (name === 'find') return (...args: unknown[]) => (reads++, (target.find as (...a: unknown[]) => unknown)(...args));
      if (name === 'insertOne') return (...args: unknown[]) => ((clock.now += insertMs), (target.insertOne as (...a: unknown[]) => unknown)(...args));
      return Reflect.get(target, name, receiver);
    },
  });
  return { leases: new EventIdLeases(counted, () => Promise.resolve(0), () => clock.now), reads: () => reads };
}

describe('event_id blocks', () => {
  test('when three instances lease at once, then blocks are numbered without gaps, their ranges are disjoint, and a block taken after another ended lies above it', async () => {
    const instances = clients.map((c) => eventIdLeases(c.db(dbName), EVENT_ID_BLOCKS_COLLECTION, () => Promise.resolve(0)));
    await instances[0]!.prepare();
    const taken: { first: number; last: number; asked: number; got: number }[] = [];
    await Promise.all(
      instances.map(async (leases) => {
        for (let n = 0; n < 40; n++) {
          const asked = performance.now();
          const range = await leases.lease();
          taken.push({ ...range, asked, got: performance.now() });
        }
      }),
    );

    const firsts = taken.map(({ first }) => first).sort((a, b) => a - b);
    expect(firsts).toEqual(Array.from({ length: 120 }, (_, i) => i * BLOCK_SIZE + 1));
    for (const { first, last } of taken) expect(last - first + 1).toBe(BLOCK_SIZE);
    const disorders = taken.filter((b) => taken.some((a) => a.got < b.asked && b.first <= a.last));
    expect(disorders).toEqual([]);
    // The race was real: some blocks were lost to another instance, and taken again.
    expect(instances.reduce((n, l) => n + l.stats.conflicts, 0)).toBeGreaterThan(0);
  });

  test('when another instance took the next blocks, then the next free one is tried at once, without reading the blocks', async () => {
    const clock = { now: 0 };
    const { leases, reads } = countingLeases(blocksOf(db), clock);
    await leases.prepare();
    expect(await leases.lease()).toEqual({ first: 1, last: BLOCK_SIZE });
    await blocksOf(db).insertMany([2, 3, 4].map((_id) => ({ _id })));
    const readsBefore = reads();

    expect(await leases.lease()).toEqual({ first: 4 * BLOCK_SIZE + 1, last: 5 * BLOCK_SIZE });
    expect(leases.stats).toMatchObject({ leases: 2, conflicts: 3 });
    expect(reads() - readsBefore).toBe(0);
  });

  test('when what an instance knows is older than it trusts, or it lost many times in a row, then it reads the newest block', async () => {
    const clock = { now: 0 };
    const { leases, reads } = countingLeases(blocksOf(db), clock);
    await leases.prepare();
    await leases.lease();
    await blocksOf(db).insertMany(Array.from({ length: 20 }, (_, i) => ({ _id: i + 2 })));

    clock.now = 10_000;
    const readsBefore = reads();
    expect(await leases.lease()).toEqual({ first: 21 * BLOCK_SIZE + 1, last: 22 * BLOCK_SIZE });
    expect(reads() - readsBefore).toBe(1);
    expect(leases.stats.conflicts).toBe(0);

    // Fresh knowledge, but far behind: eight refused inserts, then one read.
    await blocksOf(db).insertMany(Array.from({ length: 30 }, (_, i) => ({ _id: i + 23 })));
    expect(await leases.lease()).toEqual({ first: 52 * BLOCK_SIZE + 1, last: 53 * BLOCK_SIZE });
    expect(reads() - readsBefore).toBe(2);
    expect(leases.stats.conflicts).toBe(8);
  });

  test('when trying block after block takes longer than what it knew is trusted, then it reads the newest instead of going on', async () => {
    const clock = { now: 0 };
    const { leases, reads } = countingLeases(blocksOf(db), clock, 3_000);
    await leases.prepare();
    await leases.lease(); // block 1, known from t = 0
    await blocksOf(db).insertMany(Array.from({ length: 9 }, (_, i) => ({ _id: i + 2 })));
    const readsBefore = reads();

    // Each insert takes 3 s: once blocks 2 to 4 are refused, 12 s have passed, and the newest (10) is read.
    expect(await leases.lease()).toEqual({ first: 10 * BLOCK_SIZE + 1, last: 11 * BLOCK_SIZE });
    expect([leases.stats.conflicts, reads() - readsBefore]).toEqual([3, 1]);
  });

  test('when an instance took a block a minute ago by its own clock, then it deletes the blocks more than 100 below that one, and no others', async () => {
    const clock = { now: 0 };
    const { leases } = countingLeases(blocksOf(db), clock);
    await leases.prepare();
    const others = async (from: number, to: number) => blocksOf(db).insertMany(Array.from({ length: to - from + 1 }, (_, i) => ({ _id: from + i })));
    const left = async () => (await blocksOf(db).find({}, { projection: { _id: 1 } }).toArray()).map((b) => b._id).sort((a, b) => a - b);
    await others(1, 150);
    expect(await leases.lease()).toEqual({ first: 150 * BLOCK_SIZE + 1, last: 151 * BLOCK_SIZE });
    await others(152, 198);

    // Not yet a minute: block 200 is taken, and nothing is deleted.
    clock.now = 59_999;
    await leases.lease();
    await leases.lease();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await left()).toHaveLength(200);

    // A minute after block 151 was taken, block 400 prunes below 51.
    await others(201, 398);
    clock.now = 60_000;
    await leases.lease();
    expect(await leases.lease()).toEqual({ first: 399 * BLOCK_SIZE + 1, last: 400 * BLOCK_SIZE });
    for (let i = 0; i < 50 && (await blocksOf(db).countDocuments({ _id: { $lt: 51 } })) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await left()).toEqual(Array.from({ length: 350 }, (_, i) => i + 51));
  });

  test('when no block was ever taken, then the first starts above the events stored, the numbers reserved in the hint, and the leases of an earlier build', async () => {
    await db.collection<{ _id: string; highest: number }>(SEQUENCES_COLLECTION).insertOne({ _id: 'event_id', highest: 100 });
    await db.collection<EventDocument>(EVENTS_COLLECTION).insertOne({ ...toUnnumberedDocument(anEvent() as never, new Date(), 'p', { key: 'stored-before', fingerprint: 'f' }), event_id: 150 });
    // The earlier build's leases: the oldest kept follows one deleted, then 241-250 and 251-260.
    await db.collection<{ _id: number; count: number; first: number | null }>(EVENT_ID_LEASES_COLLECTION).insertMany([
      { _id: 7, count: 5, first: null },
      { _id: 8, count: 10, first: 241 },
      { _id: 9, count: 10, first: null },
    ]);
    const store = await openEventStore(db, { timeoutMs: 5000 });
    const saved = await store.saveEvent(anEvent() as never, new Date(), 'p', { key: 'first-leased', fingerprint: 'g', source: 'payload' });
    expect(saved.accepted.event_id).toBe(3 * BLOCK_SIZE + 1);
    expect(store.numbering()).toMatchObject({ leases: 1, conflicts: 0 });
  });
});
