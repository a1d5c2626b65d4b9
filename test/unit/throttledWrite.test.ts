import { ThrottledWrite } from '../../src/store/throttledWrite';
import { sleep } from '../helpers/time';

/** A queue of items written in chunks of `per` by a ThrottledWrite, with a switch to make writes fail. */
function aQueue(per = 2) {
  const state = { pending: [] as number[], written: [] as number[], writes: 0, failing: false };
  const writes = new ThrottledWrite(
    async () => {
      state.writes += 1;
      if (state.failing) throw new Error('refused');
      state.written.push(...state.pending.splice(0, per));
      await sleep(1);
    },
    () => state.pending.length > 0,
    10,
  );
  return { state, writes };
}

describe('ThrottledWrite', () => {
  test('when a write fails and nothing pokes again, then it is tried again after a pause by itself', async () => {
    const { state, writes } = aQueue(10);
    state.failing = true;
    state.pending.push(1, 2);
    writes.poke();
    await sleep(50);
    expect(state.written).toEqual([]);
    state.failing = false;
    await sleep(1200);
    expect(state.written).toEqual([1, 2]);
  });

  test('when more is due than one write takes, then a flush writes all of it', async () => {
    const { state, writes } = aQueue(2);
    state.pending.push(1, 2, 3, 4, 5);
    await writes.flush();
    expect(state.written).toEqual([1, 2, 3, 4, 5]);
  });

  test('when two flushes wait for a write under way, then both end once everything is written', async () => {
    const { state, writes } = aQueue(1);
    state.pending.push(1, 2, 3);
    writes.poke();
    const both = await Promise.race([Promise.all([writes.flush(), writes.flush()]).then(() => 'done'), sleep(2000).then(() => 'stuck')]);
    expect(both).toBe('done');
    expect(state.written).toEqual([1, 2, 3]);
  });
});
