import type { Collection, Db } from 'mongodb';
import { toUnnumberedDocument, type EventDocument } from '../../src/store/eventDocument';
import { EVENTS_COLLECTION } from '../../src/store/eventStore';
import { anArrival, arrivalsOf } from '../../src/store/feedArrivals';
import { SEQUENCES_COLLECTION } from '../../src/store/sequences';
import { anEvent } from '../helpers/builders';
import { aConsumer, read } from '../helpers/consumers';
import { startInstances, type Instances } from '../helpers/instances';
import { dbNameFor, type TestApp } from '../helpers/testApp';
import { sleep } from '../helpers/time';

/*
 * The feed's promise, tested the hard way: writers whose commits land out of event_id order, a
 * consumer reading the feed while they write, and at the end every stored event seen exactly
 * once. The same run read naively (event_id > last) shows what that would have missed.
 * Bounded: a fixed number of events, and a deadline on every loop.
 */
const INSTANCES = 3;
const HTTP_EVENTS = 600;
/** Writers that each hold a block of low numbers and commit it slowly, as writers leasing number blocks would. */
const BLOCK_WRITERS = 2;
const BLOCK = 2200;
const TOTAL = HTTP_EVENTS + BLOCK_WRITERS * BLOCK;
const CONCURRENCY = 12;
const DEADLINE_MS = 240_000;

jest.setTimeout(DEADLINE_MS + 30_000);

let instances: Instances;
let apps: TestApp[] = [];
let db: Db;
const dbName = dbNameFor(__filename);

beforeAll(async () => {
  instances = await startInstances(dbName, INSTANCES, {
    config: { feedSequencer: true, feedIntervalMs: 100, feedChunkSize: 500 },
    // The instances number from after the blocks: the numbers below belong to the block writers.
    prepare: (planted) => planted.collection<{ _id: string; highest: number }>(SEQUENCES_COLLECTION).insertOne({ _id: 'event_id', highest: BLOCK_WRITERS * BLOCK }),
  });
  ({ apps, db } = instances);
});
afterAll(() => instances.stop());

/**
 * Commits block `block` (numbers block*BLOCK+1 ...) in small batches, smallest first, while the
 * others write. Block 0 tells each batch's arrival as the service's writers do; block 1 never
 * does, as a writer that crashed each time before telling, so the feed must find those itself.
 */
async function blockWriter(events: Collection<EventDocument>, partner: string, block: number, done: () => boolean): Promise<void> {
  const first = block * BLOCK + 1;
  for (let id = first; id < first + BLOCK; id += 20) {
    const batch = Array.from({ length: 20 }, (_, i) => ({
      ...toUnnumberedDocument(anEvent() as never, new Date(), partner, { key: `held-${id + i}`, fingerprint: 'held' }),
      event_id: id + i,
    }));
    await events.insertMany(batch);
    if (block === 0) await arrivalsOf(db).insertOne(anArrival(`held-${id}`, batch));
    // Spread over the run, so that larger numbers keep committing before these.
    if (!done()) await sleep(150);
  }
}

/**
 * Delivers HTTP_EVENTS events round-robin over the instances, CONCURRENCY at a time, retrying a
 * 503 with the same idempotency key as a partner would (the instances contend for numbers).
 */
async function httpWriters(acked: Map<number, number>): Promise<{ retried: number }> {
  let next = 0;
  let retried = 0;
  const worker = async () => {
    while (next < HTTP_EVENTS) {
      const i = next++;
      const body = anEvent();
      for (let attempt = 0; ; attempt++) {
        // The same instance each time: each instance has its own partner, and a key belongs to its partner.
        const res = await apps[i % INSTANCES]!.post(body, { 'Idempotency-Key': `no-gap-${i}` });
        if (res.status === 201) {
          acked.set(res.body.event_id, Date.now());
          break;
        }
        if (res.status !== 503 || attempt >= 20) throw new Error(`delivery ${i} got ${res.status}`);
        retried++;
        await sleep(100);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { retried };
}

describe('the feed never skips', () => {
  test(`when ${INSTANCES} instances and a writer holding low numbers commit out of order, then a feed consumer sees every event once, where event_id > last would skip`, async () => {
    const consumer = await aConsumer(apps[0]!.stores.consumers);
    const events = db.collection<EventDocument>(EVENTS_COLLECTION);
    const started = Date.now();
    let writing = true;

    const feedSeen: number[] = [];
    /** When each delivery was acknowledged, and when the feed consumer first saw it. */
    const acked = new Map<number, number>();
    const seenAt = new Map<number, number>();
    const feedReader = (async () => {
      let cursor: string | undefined;
      let polls = 0;
      // Reads through every instance in turn: they all serve the same feed.
      while (Date.now() - started < DEADLINE_MS) {
        const app = apps[polls++ % INSTANCES]!;
        const res = await read(app.url, `/feed?limit=500${cursor ? `&after=${cursor}` : ''}`, consumer.auth);
        if (res.status !== 200) throw new Error(`feed read got ${res.status}`);
        for (const { event_id } of res.body.data as { event_id: number }[]) {
          feedSeen.push(event_id);
          if (!seenAt.has(event_id)) seenAt.set(event_id, Date.now());
        }
        cursor = res.body.next_cursor;
        if (!writing && !res.body.has_more && feedSeen.length >= TOTAL) return;
        if (!res.body.has_more) await sleep(10);
      }
    })();

    const naiveSeen: number[] = [];
    const naiveReader = (async () => {
      let last = 0;
      while (Date.now() - started < DEADLINE_MS) {
        const page = await events.find({ event_id: { $gt: last } }, { sort: { event_id: 1 }, limit: 500, projection: { event_id: 1 } }).toArray();
        for (const doc of page) naiveSeen.push(doc.event_id);
        if (page.length > 0) last = page[page.length - 1]!.event_id;
        if (!writing && page.length === 0) return;
        if (page.length === 0) await sleep(200);
      }
    })();

    let retried = 0;
    try {
      const blocks = Array.from({ length: BLOCK_WRITERS }, (_, b) => blockWriter(events, apps[b % INSTANCES]!.partner, b, () => !writing));
      [{ retried }] = await Promise.all([httpWriters(acked), ...blocks]);
    } finally {
      writing = false;
    }
    const wroteMs = Date.now() - started;
    await Promise.all([feedReader, naiveReader]);
    // A reader stopped by the deadline proves nothing either way: say so, rather than count skips.
    const elapsed = Date.now() - started;
    if (elapsed >= DEADLINE_MS) throw new Error(`the run did not finish within ${DEADLINE_MS} ms (writers took ${wroteMs} ms): too slow to judge`);

    const stored = (await events.find({}, { projection: { event_id: 1 } }).toArray()).map((d) => d.event_id);
    const storedSet = new Set(stored);
    const feedSet = new Set(feedSeen);
    const naiveSet = new Set(naiveSeen);
    const feedSkips = stored.filter((id) => !feedSet.has(id)).length;
    const naiveSkips = stored.filter((id) => !naiveSet.has(id)).length;
    const delays = [...acked].map(([id, at]) => (seenAt.get(id) ?? Infinity) - at).sort((a, b) => a - b);
    const percentile = (p: number) => delays[Math.min(delays.length - 1, Math.floor(p * delays.length))];
    console.log(
      `feed no-gap: ${stored.length} events from ${INSTANCES} instances and ${BLOCK_WRITERS} writers holding ${BLOCK} numbers each, written in ${wroteMs} ms (${retried} retries after 503); ` +
        `feed read ${feedSeen.length} (${feedSeen.length - feedSet.size} twice), skipped ${feedSkips}; event_id > last skipped ${naiveSkips}; ` +
        `drained ${elapsed - wroteMs} ms after the writers stopped; ` +
        `201 to feed: p50 ${percentile(0.5)} ms, p95 ${percentile(0.95)} ms, max ${percentile(1)} ms`,
    );
    expect(stored.length).toBe(TOTAL);
    expect(storedSet.size).toBe(stored.length);
    expect(feedSkips).toBe(0);
    expect(feedSeen.length).toBe(feedSet.size);
    expect(feedSeen.every((id) => storedSet.has(id))).toBe(true);
    // The naive reader is the control: if it skipped nothing, the run did not commit out of order.
    expect(naiveSkips).toBeGreaterThan(0);
  });
});
