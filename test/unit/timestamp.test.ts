import { instantOf } from '../../src/timestamp';

describe('instantOf', () => {
  test.each([
    ['2025-01-10T12:30:00Z', '2025-01-10T12:30:00.000Z'],
    ['2025-01-10T08:30:00-04:00', '2025-01-10T12:30:00.000Z'],
    ['2025-01-10T12:30:00.123456Z', '2025-01-10T12:30:00.123Z'],
    ['2016-12-31T23:59:60Z', '2016-12-31T23:59:59.999Z'],
    ['2016-12-31T23:59:60.5Z', '2016-12-31T23:59:59.999Z'],
    ['2016-12-31T18:59:60-05:00', '2016-12-31T23:59:59.999Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
  ])('when given %s, then it denotes %s', (text, iso) => {
    expect(instantOf(text).toISOString()).toBe(iso);
  });

  test('when the text is not a date, then it throws instead of returning an invalid date', () => {
    expect(() => instantOf('not a date')).toThrow(RangeError);
  });
});
