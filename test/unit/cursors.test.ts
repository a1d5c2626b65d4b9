import fc from 'fast-check';
import { decodeEventsCursor, decodeFeedCursor, encodeEventsCursor, encodeFeedCursor, queryDigest } from '../../src/store/cursors';

describe('cursors', () => {
  test('when a cursor is issued, then it reads back as the same position', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 1, max: 2 ** 40 }), fc.nat(), (id, chunk, offset) => {
        const digest = queryDigest({ id });
        expect(decodeEventsCursor(encodeEventsCursor({ afterEventId: id, queryDigest: digest }))).toEqual({ afterEventId: id, queryDigest: digest });
        expect(decodeFeedCursor(encodeFeedCursor({ chunk, offset }))).toEqual({ chunk, offset });
      }),
    );
  });

  test('when a cursor is made up or of the other kind, then it is not read as a position', () => {
    const feed = encodeFeedCursor({ chunk: 3, offset: 1 });
    expect(decodeEventsCursor(feed)).toBeUndefined();
    expect(decodeFeedCursor(encodeEventsCursor({ afterEventId: 3, queryDigest: 'x' }))).toBeUndefined();
    for (const text of ['', 'abc', Buffer.from('f1.0.0').toString('base64url'), Buffer.from('f1.1.-1').toString('base64url'), Buffer.from('f1.1.1.1').toString('base64url'), Buffer.from('e1.01.x').toString('base64url')]) {
      expect(decodeFeedCursor(text) ?? decodeEventsCursor(text)).toBeUndefined();
    }
  });

  test('when the same query is written with its keys in another order, then its digest is the same, and another query differs', () => {
    expect(queryDigest({ a: 1, b: ['x'] })).toBe(queryDigest({ b: ['x'], a: 1 }));
    expect(queryDigest({ a: 1 })).not.toBe(queryDigest({ a: 2 }));
  });
});
