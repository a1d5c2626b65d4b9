import type { EventDocument } from '../../src/store/eventDocument';
import { EVENTS_COLLECTION } from '../../src/store/eventStore';
import { anArrival, arrivalsOf } from '../../src/store/feedArrivals';
import { SEQUENCES_COLLECTION } from '../../src/store/sequences';
import { sequencerBench } from '../helpers/sequencerBench';

const bench = sequencerBench(__filename);
const { db, storeEvents, sequencer, placedIds, drain, arrivals } = bench;

describe('the arrival placement', () => {
  const arrivalCount = () => arrivalsOf(db()).countDocuments();

  test('when events are placed, then their arrivals are deleted, so the collection read each pass stays small', async () => {
    await storeEvents(5);
    await storeEvents(7);
    expect(await arrivalCount()).toBe(2);
    await drain(sequencer(arrivals));
    expect(await placedIds()).toHaveLength(12);
    expect(await arrivalCount()).toBe(0);
  });

  test('when a writer stopped before telling its arrival, then its events are placed once the gap has lasted the grace, not before', async () => {
    const seq = sequencer(arrivals);
    await drain(seq); // the first pass reads the (empty) chunks
    const base = bench.stored;
    await storeEvents(3, base + 1, false);
    await storeEvents(2, base + 4);
    await drain(seq);
    expect(await placedIds()).toEqual([base + 4, base + 5]);
    bench.clock += 4_999;
    await drain(seq);
    expect(await placedIds()).toHaveLength(2);
    bench.clock += 1;
    await drain(seq);
    expect(await placedIds()).toEqual([base + 4, base + 5, base + 1, base + 2, base + 3]);
  });

  test('when the highest taken says more events exist than arrived, then the last ones are found too', async () => {
    const seq = sequencer(arrivals);
    await storeEvents(2);
    await drain(seq);
    await storeEvents(2, bench.stored + 1, false);
    await db().collection<{ _id: string; highest: number }>(SEQUENCES_COLLECTION).updateOne({ _id: 'event_id' }, { $set: { highest: bench.stored } }, { upsert: true });
    await drain(seq);
    expect(await placedIds()).toHaveLength(2);
    bench.clock += 5_000;
    await drain(seq);
    expect(await placedIds()).toEqual([bench.stored - 3, bench.stored - 2, bench.stored - 1, bench.stored]);
  });

  test('when an arrival comes after the gap search placed its events, then nothing is placed twice and it is deleted', async () => {
    const seq = sequencer(arrivals);
    const base = bench.stored;
    await storeEvents(3, base + 1, false);
    await storeEvents(1, base + 4);
    bench.clock += 5_000;
    await drain(seq);
    bench.clock += 5_000;
    await drain(seq);
    const late = await db().collection<EventDocument>(EVENTS_COLLECTION).find({ event_id: { $lte: base + 3 } }).toArray();
    await arrivalsOf(db()).insertOne(anArrival('late', late));
    await drain(seq);
    expect((await placedIds()).sort((a, b) => a - b)).toEqual([base + 1, base + 2, base + 3, base + 4]);
    expect(await arrivalCount()).toBe(0);
  });

  test('when a sequencer starts on chunks another wrote, then it places only what they do not hold', async () => {
    await storeEvents(6);
    await drain(sequencer(arrivals, 'first'));
    await storeEvents(3);
    // The first sequencer's arrivals are deleted; a late copy of one must not be placed again.
    const again = await db().collection<EventDocument>(EVENTS_COLLECTION).find({ event_id: { $lte: bench.stored - 3 } }).toArray();
    await arrivalsOf(db()).insertOne(anArrival('again', again));
    await drain(sequencer(arrivals, 'second'));
    const ids = await placedIds();
    expect(ids).toHaveLength(9);
    expect(new Set(ids).size).toBe(9);
  });

  test('when a sequencer starts, then events stored without an arrival while none ran are placed at once, without waiting for the grace', async () => {
    await drain(sequencer(arrivals, 'before'));
    await storeEvents(3, bench.stored + 1, false);
    await drain(sequencer(arrivals, 'restarted'));
    expect(await placedIds()).toEqual([bench.stored - 2, bench.stored - 1, bench.stored]);
  });

  test('when leased numbers are never stored, then after the grace they count as holes, and an event that commits in one later is still placed, once', async () => {
    const seq = sequencer(arrivals);
    await drain(seq);
    await storeEvents(2, 1);
    // 3 and 4 were leased by a writer whose insert has not landed (or never will).
    await storeEvents(2, 5);
    await drain(seq);
    expect(await placedIds()).toEqual([1, 2, 5, 6]);
    bench.clock += 5_000;
    await drain(seq); // the grace is over and a full scan finds neither: holes
    bench.clock += 4_999;
    await storeEvents(1, 3, false); // 3's insert lands after all, without its arrival
    await drain(seq);
    expect(await placedIds()).toEqual([1, 2, 5, 6]);
    bench.clock += 1;
    await drain(seq); // holes are looked for again a grace later
    expect(await placedIds()).toEqual([1, 2, 5, 6, 3]);
    bench.clock += 60_000;
    await drain(seq);
    expect(await placedIds()).toEqual([1, 2, 5, 6, 3]);
  });
});
