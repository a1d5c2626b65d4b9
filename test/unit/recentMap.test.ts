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
});
