import fc from 'fast-check';
import { decodeEventsCursor, decodeFeedCursor, encodeEventsCursor, encodeFeedCursor } from '../../src/store/cursors';
import { resolve, spec } from '../helpers/spec';

const pattern = (name: string) => new RegExp(String((resolve(spec.components.schemas[name]) as { pattern: string }).pattern));

describe('cursors', () => {
  test('when a cursor is issued, then it fits the published pattern and reads back as the same position', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999_999_999 }), fc.integer({ min: 1, max: 999_999_999_999_999 }), fc.integer({ min: 0, max: 999_999_999_999_999 }), (id, chunk, offset) => {
        const events = encodeEventsCursor({ afterEventId: id });
        const feed = encodeFeedCursor({ chunk, offset });
        expect(events).toMatch(pattern('EventsCursor'));
        expect(feed).toMatch(pattern('FeedCursor'));
        expect(decodeEventsCursor(events)).toEqual({ afterEventId: id });
        expect(decodeFeedCursor(feed)).toEqual({ chunk, offset });
      }),
    );
  });

  test('when a string fits the published pattern, then it is a position (nothing a client may send is refused later)', () => {
    fc.assert(fc.property(fc.stringMatching(pattern('FeedCursor')), (text) => expect(decodeFeedCursor(text)).toBeDefined()));
    fc.assert(fc.property(fc.stringMatching(pattern('EventsCursor')), (text) => expect(decodeEventsCursor(text)).toBeDefined()));
  });

  test('when a cursor is made up or of the other kind, then it is not read as a position', () => {
    expect(decodeEventsCursor(encodeFeedCursor({ chunk: 3, offset: 1 }))).toBeUndefined();
    expect(decodeFeedCursor(encodeEventsCursor({ afterEventId: 3 }))).toBeUndefined();
    for (const text of ['', 'abc', 'f1-0-0', 'f1-1--1', 'f1-1-1-1', 'e1-01', 'f1-01-0', 'e1-1 ']) {
      expect(decodeFeedCursor(text) ?? decodeEventsCursor(text)).toBeUndefined();
    }
  });
});
