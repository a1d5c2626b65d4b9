import fc from 'fast-check';
import { PlacedIds } from '../../src/store/placedIds';

describe('PlacedIds', () => {
  test('when ids are added in any order, then it holds exactly those ids and keeps only the out-of-order ones apart', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { maxLength: 150 }), (ids) => {
        const placed = new PlacedIds();
        for (const id of ids) placed.add(id);
        const set = new Set(ids);
        for (let id = 1; id <= 201; id++) expect(placed.has(id)).toBe(set.has(id));
        let through = 0;
        while (set.has(through + 1)) through++;
        expect(placed.through).toBe(through);
        expect(placed.outOfOrder).toBe(ids.filter((id) => id > through).length);
      }),
    );
  });

  test('when an id is added twice, then nothing changes', () => {
    const placed = new PlacedIds();
    placed.add(2);
    placed.add(2);
    placed.add(1);
    placed.add(1);
    expect([placed.through, placed.outOfOrder]).toEqual([2, 0]);
  });

  test('when ranges and ids are added in any order, then it holds exactly their ids, as if each were added alone', () => {
    const item = fc.oneof(fc.integer({ min: 1, max: 200 }).map((id) => [id, id] as const), fc.tuple(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 30 })).map(([first, n]) => [first, first + n] as const));
    fc.assert(
      fc.property(fc.array(item, { maxLength: 40 }), (items) => {
        const ranged = new PlacedIds();
        const single = new PlacedIds();
        for (const [first, last] of items) {
          ranged.addRange(first, last);
          for (let id = first; id <= last; id++) single.add(id);
        }
        for (let id = 1; id <= 232; id++) expect(ranged.has(id)).toBe(single.has(id));
        expect([ranged.through, ranged.outOfOrder]).toEqual([single.through, single.outOfOrder]);
      }),
    );
  });
});
