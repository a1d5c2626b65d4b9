import type { Placement } from '../../src/store/feedPlacement';
import { sequencerBench } from '../helpers/sequencerBench';

const bench = sequencerBench(__filename);
const { storeEvents, sequencer, placedIds, drain, arrivals } = bench;

/**
 * A sequencer that placed 1, 2 and 4 and counted 3 a hole: 3's insert had an unknown outcome (never
 * told), 4 came with the rest of its block told; then the grace went by.
 */
async function holeCountedAt3(): Promise<ReturnType<typeof sequencer>> {
  const first = sequencer(arrivals, 'a');
  await drain(first);
  await storeEvents(2, 1, true);
  await storeEvents(1, 4, true, [[5, 100]]);
  await drain(first);
  bench.clock += 5_000;
  await drain(first);
  return first;
}

/** Numbers no event holds: told by writers (the rest of their event_id blocks), or counted after a search. */
describe('the arrival placement and numbers no event holds', () => {
  test('when writers tell the numbers of their blocks they left unused, then those count as placed at once and are never searched for', async () => {
    const seq = sequencer(arrivals);
    await drain(seq);
    // Two writers' blocks of 100: the first used 1-3, the second 101-102.
    await storeEvents(3, 1, true, [[4, 100]]);
    await storeEvents(2, 101, true, [[103, 200]]);
    await drain(seq);
    expect(await placedIds()).toEqual([1, 2, 3, 101, 102]);

    // A told number is no gap: were one stored after all (it cannot be), no search would find it.
    await storeEvents(1, 50, false);
    bench.clock += 60_000;
    await drain(seq);
    expect(await placedIds()).toEqual([1, 2, 3, 101, 102]);
    // An untold number still is: 201's insert landed without its arrival and is found after the grace.
    await storeEvents(1, 201, false);
    await storeEvents(1, 203, true, [[204, 300]]);
    await drain(seq);
    bench.clock += 5_000;
    await drain(seq);
    expect(await placedIds()).toEqual([1, 2, 3, 101, 102, 203, 201]);
  });

  test('when a sequencer reads the chunks again, then it starts from how far they say every number is placed or told, and searches nothing below', async () => {
    const first = sequencer(arrivals, 'a');
    await drain(first);
    // As a writer tells them: its events' arrival, then the rest of the block in one of its own.
    await storeEvents(2, 1, true);
    await storeEvents(0, 3, true, [[3, 100]]);
    await drain(first);
    await storeEvents(1, 101, true, [[102, 200]]);
    await drain(first);
    expect((await bench.chunks()).at(-1)!.through).toBe(200);

    // Another sequencer starts (it searches the events above what it knows once): 50 was told unused.
    await storeEvents(1, 50, false);
    let restarted!: Placement;
    const second = sequencer((on) => (restarted = arrivals(on)), 'b', 0);
    await storeEvents(1, 201, true, [[202, 300]]);
    await drain(second);
    expect(await placedIds()).toEqual([1, 2, 101, 201]);
    expect(restarted.watermark!([]).through).toBe(300);
  });

  test('when a sequencer restarts after an untold number was counted a hole, then it does not start from that old gap', async () => {
    const first = await holeCountedAt3();
    await storeEvents(1, 101, true, [[102, 200]]);
    await drain(first);

    let restarted!: Placement;
    await drain(sequencer((on) => (restarted = arrivals(on)), 'b', 0));
    expect(restarted.watermark!([]).through).toBe(200);
    expect(await placedIds()).toEqual([1, 2, 4, 101]);
  });

  test('when a number was counted a hole and another sequencer takes over, then the newcomer still looks for it, and a write that lands late is placed once', async () => {
    const first = await holeCountedAt3();
    await storeEvents(1, 101, true, [[102, 200]]);
    await drain(first);
    expect((await bench.chunks()).at(-1)).toMatchObject({ through: 200, open: [3] });

    const second = sequencer(arrivals, 'b', 0);
    await drain(second);
    await storeEvents(1, 3, false); // the insert lands after all, without its arrival
    bench.clock += 5_000;
    await drain(second);
    expect(await placedIds()).toEqual([1, 2, 4, 101, 3]);
  });

  test('when a sequencer loses a race after counting a hole, then it still looks for it', async () => {
    const first = await holeCountedAt3();
    // Another sequencer writes the next chunk: the first loses its next race and reads the chunks again.
    await storeEvents(1, 101, true, [[102, 200]]);
    await drain(sequencer(arrivals, 'b', 0));
    await storeEvents(1, 201, true, [[202, 300]]);
    await drain(first);
    expect(await placedIds()).toEqual([1, 2, 4, 101, 201]);

    await storeEvents(1, 3, false);
    bench.clock += 10_000;
    await drain(first);
    expect(await placedIds()).toEqual([1, 2, 4, 101, 201, 3]);
  });
});
