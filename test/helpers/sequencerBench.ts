import { MongoClient, type Db } from 'mongodb';
import { toUnnumberedDocument, type EventDocument } from '../../src/store/eventDocument';
import { EVENTS_COLLECTION } from '../../src/store/eventStore';
import { arrivalPlacement } from '../../src/store/arrivalPlacement';
import { anArrival, arrivalsOf, type Hole } from '../../src/store/feedArrivals';
import { Chunks, chunkKey, FEED_CHUNKS_COLLECTION, fromChunkDocument, type Chunk, type ChunkDocument } from '../../src/store/feedChunk';
import type { Placement } from '../../src/store/feedPlacement';
import { FeedSequencer } from '../../src/store/feedSequencer';
import { anEvent } from './builders';
import { dbNameFor, testDatabaseUri } from './testApp';

export interface SequencerBench {
  db: () => Db;
  /** The highest event_id stored so far in this test. */
  stored: number;
  /** A steady clock for the arrival placement, moved by the tests. */
  clock: number;
  /** Stores events as a writer does: the events, then (unless `arrival` is false) their arrival, with the numbers told unused. */
  storeEvents: (count: number, firstId?: number, arrival?: boolean, holes?: Hole[]) => Promise<void>;
  arrivals: (on: Db) => Placement;
  sequencer: (placement: (db: Db) => Placement, instance?: string, leaseMs?: number) => FeedSequencer;
  /** Passes until two in a row place nothing. */
  drain: (seq: FeedSequencer) => Promise<void>;
  /** Every chunk, in order, with the checks the feed's readers rely on. */
  chunks: () => Promise<Chunk[]>;
  placedIds: () => Promise<number[]>;
}

/**
 * A database of the test file's own for feed sequencer tests (dropped before each test), events
 * stored as writers store them, sequencers, and the chunks as readers rely on them.
 */
export function sequencerBench(file: string): SequencerBench {
  let client: MongoClient;
  let db!: Db;
  beforeAll(async () => {
    client = await MongoClient.connect(testDatabaseUri());
    db = client.db(dbNameFor(file));
  });
  // Each test starts on an empty database numbered from 1, as a real one is (no holes below).
  beforeEach(async () => {
    await db.dropDatabase();
    bench.stored = 0;
    bench.clock = 0;
  });
  afterAll(() => client.close());

  const bench: SequencerBench = {
    db: () => db,
    stored: 0,
    clock: 0,
    async storeEvents(count, firstId = bench.stored + 1, arrival = true, holes = []) {
      const docs = Array.from({ length: count }, (_, i) => ({
        ...toUnnumberedDocument(anEvent() as never, new Date(), 'p', { key: `k-${firstId + i}`, fingerprint: 'f' }),
        event_id: firstId + i,
      }));
      bench.stored = Math.max(bench.stored, firstId + count - 1);
      if (count > 0) await db.collection<EventDocument>(EVENTS_COLLECTION).insertMany(docs);
      if (arrival) await arrivalsOf(db).insertOne(anArrival(`arrival-${firstId}`, docs, holes));
    },
    arrivals: (on: Db): Placement => arrivalPlacement(on, { graceMs: 5_000, now: () => bench.clock }),
    sequencer: (placement: (db: Db) => Placement, instance = 'a', leaseMs = 10_000) =>
      new FeedSequencer(db, new Chunks(db), { chunkSize: 4, instance, leaseMs, placement }),
    async drain(seq: FeedSequencer): Promise<void> {
      for (let idle = 0; idle < 2; ) idle = (await seq.pass()) > 0 ? 0 : idle + 1;
    },
    async chunks(): Promise<Chunk[]> {
      const docs = await db.collection<ChunkDocument>(FEED_CHUNKS_COLLECTION).find({}).sort({ _id: 1 }).toArray();
      const all = docs.map(fromChunkDocument);
      docs.forEach((doc, i) => {
        expect(doc._id).toBe(chunkKey(i + 1));
        expect([doc.number, doc.count]).toEqual([i + 1, all[i]!.events.length]);
        expect(doc.first_position).toBe(i === 0 ? 1 : all[i - 1]!.first_position + all[i - 1]!.events.length);
      });
      return all;
    },
    placedIds: async () => (await bench.chunks()).flatMap((c) => c.events.map((e) => e.event_id)),
  };
  return bench;
}
