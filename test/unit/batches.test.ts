import { Batches } from '../../src/store/batches';

describe('Batches', () => {
  test('when requests ask together, then one call answers them all, each with its own result', async () => {
    const calls: number[][] = [];
    const batches = new Batches<number, string>(async (items) => (calls.push(items), items.map((n) => `r${n}`)));
    expect(await Promise.all([1, 2, 3].map((n) => batches.add(n)))).toEqual(['r1', 'r2', 'r3']);
    expect(calls).toEqual([[1, 2, 3]]);
  });

  test('when requests arrive while a call is on its way, then they wait and go together in the next one, never two calls at once', async () => {
    const calls: number[][] = [];
    let inFlight = 0;
    let most = 0;
    let release: () => void = () => undefined;
    const batches = new Batches<number, number>(async (items) => {
      calls.push(items);
      most = Math.max(most, ++inFlight);
      if (calls.length === 1) await new Promise<void>((resolve) => (release = resolve));
      inFlight--;
      return items;
    });
    const first = batches.add(1);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [batches.add(2), batches.add(3)];
    release();
    expect(await Promise.all([first, ...later])).toEqual([1, 2, 3]);
    expect(calls).toEqual([[1], [2, 3]]);
    expect(most).toBe(1);
  });

  test('when a call fails, then its batch is refused with the error and the next batch is still answered', async () => {
    let call = 0;
    const batches = new Batches<number, number>(async (items) => {
      if (++call === 1) throw new Error('database gone');
      return items;
    });
    await expect(Promise.all([batches.add(1), batches.add(2)])).rejects.toThrow('database gone');
    expect(await batches.add(3)).toBe(3);
  });

  test('when more wait than a batch holds, then they go in several calls of at most that many', async () => {
    const sizes: number[] = [];
    const batches = new Batches<number, number>(async (items) => (sizes.push(items.length), items), 2);
    await Promise.all([1, 2, 3, 4, 5].map((n) => batches.add(n)));
    expect(sizes).toEqual([2, 2, 1]);
  });

  test('when a call gathers for a while, then items added meanwhile, even in later tasks, go in that one call', async () => {
    const calls: number[][] = [];
    const batches = new Batches<number, number>(async (items) => (calls.push(items), items), 1000, 30);
    const first = batches.add(1);
    await new Promise((resolve) => setImmediate(resolve));
    const second = batches.add(2);
    expect(calls).toEqual([]);
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(calls).toEqual([[1, 2]]);
  });
});
