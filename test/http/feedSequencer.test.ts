import type { Db } from 'mongodb';
import { markedPlacement, type Placement } from '../../src/store/feedPlacement';
import { FEED_HEAD_SEQUENCE } from '../../src/store/feedSequencer';
import { SEQUENCES_COLLECTION } from '../../src/store/sequences';
import { sequencerBench } from '../helpers/sequencerBench';

const bench = sequencerBench(__filename);
const { db, storeEvents, sequencer, chunks, placedIds, arrivals } = bench;

describe.each([
  ['marked', markedPlacement],
  ['arrivals', arrivals],
])('the feed sequencer (%s placement)', (_name, placement) => {
  test('when events are bench.stored, then each pass places them in numbered chunks, each event once', async () => {
    const seq = sequencer(placement);
    await storeEvents(10);
    let rounds = 0;
    while ((await seq.pass()) > 0) rounds++;
    expect(rounds).toBeGreaterThan(0);
    expect(await placedIds()).toEqual(Array.from({ length: 10 }, (_, i) => bench.stored - 9 + i));
    // Readers look no further than the head, which names the newest chunk.
    const head = await db().collection<{ _id: string; highest: number }>(SEQUENCES_COLLECTION).findOne({ _id: FEED_HEAD_SEQUENCE });
    expect(head?.highest).toBe((await chunks()).length);
  });

  test('when a smaller event_id commits after larger ones were placed, then it is placed later, not skipped', async () => {
    const seq = sequencer(placement);
    const base = bench.stored;
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
    const faulty = (on: Db): Placement => {
      const inner = placement(on);
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
    const one = sequencer(arrivals, 'one', 1000);
    const two = sequencer(arrivals, 'two', 1000);
    expect(await one.lease(now)).toBe(true);
    expect(await two.lease(now)).toBe(false);
    expect(await one.lease(new Date(now.getTime() + 500))).toBe(true);
    expect(await two.lease(new Date(now.getTime() + 1000))).toBe(false);
    expect(await two.lease(new Date(now.getTime() + 1600))).toBe(true);
    expect(await one.lease(new Date(now.getTime() + 1700))).toBe(false);
  });
});
