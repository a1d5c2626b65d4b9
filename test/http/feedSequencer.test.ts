import { MongoClient, type Db } from 'mongodb';
import { toUnnumberedDocument, type EventDocument } from '../../src/store/eventDocument';
import { EVENTS_COLLECTION } from '../../src/store/eventStore';
import { FEED_CHUNKS_COLLECTION, type ChunkDocument } from '../../src/store/feedChunk';
import { markedPlacement, scannedPlacement, type Placement } from '../../src/store/feedPlacement';
import { FeedSequencer } from '../../src/store/feedSequencer';
import { anEvent } from '../helpers/builders';
import { dbNameFor, testDatabaseUri } from '../helpers/testApp';

let client: MongoClient;
let db: Db;

beforeAll(async () => {
  client = await MongoClient.connect(testDatabaseUri());
  db = client.db(dbNameFor(__filename));
});
beforeEach(() => db.dropDatabase());
afterAll(() => client.close());

let stored = 0;
async function storeEvents(count: number, firstId = stored + 1): Promise<void> {
  const docs = Array.from({ length: count }, (_, i) => ({
    ...toUnnumberedDocument(anEvent() as never, new Date(), 'p', { key: `k-${firstId + i}`, fingerprint: 'f' }),
    event_id: firstId + i,
  }));
  stored = Math.max(stored, firstId + count - 1);
  await db.collection<EventDocument>(EVENTS_COLLECTION).insertMany(docs);
}

const sequencer = (placement: (events: never) => Placement, instance = 'a', leaseMs = 10_000) =>
  new FeedSequencer(db, { chunkSize: 4, instance, leaseMs, placement: placement as never });

/** Every chunk, in order, with the checks the feed's readers rely on. */
async function chunks(): Promise<ChunkDocument[]> {
  const all = await db.collection<ChunkDocument>(FEED_CHUNKS_COLLECTION).find({}).sort({ _id: 1 }).toArray();
  all.forEach((chunk, i) => {
    expect(chunk._id).toBe(i + 1);
    expect(chunk.first_position).toBe(i === 0 ? 1 : all[i - 1]!.first_position + all[i - 1]!.events.length);
  });
  return all;
}
const placedIds = async () => (await chunks()).flatMap((c) => c.events.map((e) => e.event_id));

describe.each([
  ['marked', markedPlacement],
  ['scanned', scannedPlacement],
])('the feed sequencer (%s placement)', (_name, placement) => {
  test('when events are stored, then each pass places them in numbered chunks, each event once', async () => {
    const seq = sequencer(placement);
    await storeEvents(10);
    let rounds = 0;
    while ((await seq.pass()) > 0) rounds++;
    expect(rounds).toBeGreaterThan(0);
    expect(await placedIds()).toEqual(Array.from({ length: 10 }, (_, i) => stored - 9 + i));
  });

  test('when a smaller event_id commits after larger ones were placed, then it is placed later, not skipped', async () => {
    const seq = sequencer(placement);
    const base = stored;
    await storeEvents(3, base + 5);
    await seq.pass();
    await storeEvents(4, base + 1); // the numbers a slow writer held
    await seq.pass();
    await seq.pass();
    expect(await placedIds()).toEqual([base + 5, base + 6, base + 7, base + 1, base + 2, base + 3, base + 4]);
  });

  test('when two sequencers run passes at once, then no event is placed twice and none is left out', async () => {
    const all = ['one', 'two', 'three'].map((name) => sequencer(placement, name));
    for (let round = 0; round < 15; round++) {
      await storeEvents(9);
      // Each also loses a race now and then, and must read the chunks again.
      await Promise.all([...all.map((s) => s.pass()), all[round % 3]!.pass()]);
    }
    // A pass that lost a race places nothing; one sequencer alone drains what is left.
    for (let idle = 0; idle < 2; ) idle = (await all[0]!.pass()) > 0 ? 0 : idle + 1;
    const ids = await placedIds();
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(15 * 9);
  });

  test('when a sequencer stops between writing a chunk and recording it, then the next pass records it first and places nothing twice', async () => {
    let failOnce = true;
    const faulty = (events: never): Placement => {
      const inner = placement(events);
      return {
        ...inner,
        record: async (chunk) => {
          if (failOnce) {
            failOnce = false;
            throw new Error('stopped');
          }
          await inner.record(chunk);
        },
      };
    };
    await storeEvents(6);
    const seq = sequencer(faulty);
    await expect(seq.pass()).rejects.toThrow('stopped');
    // A fresh sequencer (another instance taking over) and the same one both carry on correctly.
    const other = sequencer(placement, 'other');
    for (let idle = 0; idle < 2; ) idle = (await other.pass()) + (await seq.pass()) > 0 ? 0 : idle + 1;
    const ids = await placedIds();
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
  });
});

describe('the feed lease', () => {
  test('when one instance holds the lease, then another does not get it until it runs out', async () => {
    const now = new Date();
    const one = sequencer(scannedPlacement, 'one', 1000);
    const two = sequencer(scannedPlacement, 'two', 1000);
    expect(await one.lease(now)).toBe(true);
    expect(await two.lease(now)).toBe(false);
    expect(await one.lease(new Date(now.getTime() + 500))).toBe(true);
    expect(await two.lease(new Date(now.getTime() + 1000))).toBe(false);
    expect(await two.lease(new Date(now.getTime() + 1600))).toBe(true);
    expect(await one.lease(new Date(now.getTime() + 1700))).toBe(false);
  });
});
