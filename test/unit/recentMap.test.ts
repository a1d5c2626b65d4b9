import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RecentMap } from '../../src/recentMap';

describe('RecentMap', () => {
  test('when more entries than the bound are set, then the least recently set or touched one is forgotten', () => {
    const map = new RecentMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.touch('a')).toBe(1);
    map.set('c', 3);
    expect(map.has('b')).toBe(false);
    expect([map.get('a'), map.get('c'), map.size]).toEqual([1, 3, 2]);
  });

  test('when an entry is only read with get, then it does not become more recent', () => {
    const map = new RecentMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.get('a')).toBe(1);
    map.set('c', 3);
    expect(map.has('a')).toBe(false);
  });

  test('when the bound is 0, then nothing is kept', () => {
    const map = new RecentMap<string, number>(0);
    map.set('a', 1);
    expect(map.size).toBe(0);
  });

  test('when any mix of sets, touches and deletes is made, then exactly the most recent entries are kept, in order of use', () => {
    const op = fc.tuple(fc.constantFrom('set', 'touch', 'delete'), fc.integer({ min: 0, max: 12 }));
    fc.assert(
      // Long enough to span the iterator's renewal (every 1,024 writes).
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 3000, size: 'max' }), (max, ops) => {
        const map = new RecentMap<number, number>(max);
        // The model: keys from least to most recent.
        let model: number[] = [];
        ops.forEach(([kind, key], i) => {
          if (kind === 'set') {
            map.set(key, i);
            model = [...model.filter((k) => k !== key), key].slice(-max);
          } else if (kind === 'touch') {
            const known = model.includes(key);
            expect(map.touch(key) !== undefined).toBe(known);
            if (known) model = [...model.filter((k) => k !== key), key];
          } else {
            map.delete(key);
            model = model.filter((k) => k !== key);
          }
        });
        expect(map.size).toBe(model.length);
        for (const key of model) expect(map.has(key)).toBe(true);
        // Sets of new keys forget the kept ones oldest first: after i + 1 of them, model[i] is
        // kept only if fewer than i + 1 entries had to go.
        model.forEach((key, i) => {
          map.set(100 + i, 0);
          const forgotten = Math.max(0, model.length + i + 1 - max);
          expect(map.has(key)).toBe(i >= forgotten);
        });
      }),
    );
  });

  test('when the map is emptied and filled again past its bound, then it forgets the least recent of the new entries', () => {
    const map = new RecentMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.set('c', 3);
    map.delete('b');
    map.delete('c');
    map.set('d', 4);
    map.set('e', 5);
    map.set('f', 6);
    expect([map.has('d'), map.has('e'), map.has('f'), map.size]).toEqual([false, true, true, 2]);
  });

  test.each([
    ['under its bound', 0],
    ['after it once went over its bound and was deleted down to a few keys', 100_001],
  ])('when a few keys are set and touched a million times %s, then the memory held does not grow', (_, filled) => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const map = new RecentMap<string, { n: number }>(100_000);
    for (let i = 0; i < filled; i++) map.set(`f${i}`, { n: i });
    for (let i = 0; i < filled; i++) map.delete(`f${i}`);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000_000; i++) {
      map.set(`k${i % 20}`, { n: i });
      map.touch(`k${(i + 7) % 20}`);
    }
    gc();
    expect(map.size).toBe(20);
    // Each superseded copy of the map's table a held iterator kept alive would show here (over
    // 100 MB when it did).
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 * 1024 * 1024);
  });

  test('when a map that went over its bound is emptied by deletes, then the memory of its entries is let go', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    const map = new RecentMap<string, number[]>(100_000);
    for (let i = 0; i <= 100_000; i++) map.set(`f${i}`, [i, i, i, i]);
    for (let i = 0; i <= 100_000; i++) map.delete(`f${i}`);
    gc();
    expect(map.size).toBe(0);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(4 * 1024 * 1024);
  });
});
