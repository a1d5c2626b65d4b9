import { AppError } from '../../src/errors';
import { instantOf, normalisedInstant } from '../../src/timestamp';

describe('instantOf', () => {
  test.each([
    ['2025-01-10T12:30:00Z', '2025-01-10T12:30:00.000Z'],
    ['2025-01-10T08:30:00-04:00', '2025-01-10T12:30:00.000Z'],
    ['2025-01-10T12:30:00.123456Z', '2025-01-10T12:30:00.123Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
  ])('when given %s, then it denotes %s', (text, iso) => {
    expect(instantOf(text).toISOString()).toBe(iso);
  });

  test.each(['not a date', '2025-01-10T24:59:60+01:00', '2025-01-10T23:59:60Z'])(
    'when the text denotes no instant JavaScript can hold (%s), then it is refused as an invalid datetime, never a 500',
    (text) => {
      let thrown: unknown;
      try {
        instantOf(text);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(AppError);
      expect((thrown as AppError).code).toBe('invalid_payload');
      expect((thrown as AppError).details).toEqual([{ loc: ['body', 'timestamp'], msg: 'invalid datetime format', type: 'value_error.datetime' }]);
    },
  );
});

describe('normalisedInstant', () => {
  test.each([
    ['2025-01-10T12:30:00Z', '1736512200'],
    ['2025-01-10T12:30:00.000Z', '1736512200'],
    ['2025-01-10T13:30:00+01:00', '1736512200'],
    ['2025-01-10T12:30:00.120Z', '1736512200.12'],
    ['2025-01-10T12:30:00.12Z', '1736512200.12'],
    ['2025-01-10T12:30:00.123456789Z', '1736512200.123456789'],
    ['2025-01-10T12:30:00.100000000-00:00', '1736512200.1'],
  ])('when given %s, then the instant reads %s', (text, normalised) => {
    expect(normalisedInstant(text)).toBe(normalised);
  });

  test('when the fraction is long and mostly zeros, then the work stays linear in its length', () => {
    // The regex this replaced backtracked quadratically on zeros followed by another digit.
    const text = `2025-01-10T12:30:00.${'0'.repeat(200_000)}1Z`;
    expect(normalisedInstant(text)).toBe(`1736512200.${'0'.repeat(200_000)}1`);
  });
});
