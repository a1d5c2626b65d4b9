import { AppError } from './errors';

/**
 * The instant a validated RFC 3339 timestamp denotes. The contract refuses what JavaScript
 * cannot represent (a leap second `:60`, hour 24), so a timestamp that still fails to parse is
 * refused like any invalid one rather than turned into a 500.
 */
export function instantOf(timestamp: string): Date {
  const instant = new Date(timestamp);
  if (Number.isNaN(instant.getTime())) {
    throw new AppError('invalid_payload', [{ loc: ['body', 'timestamp'], msg: 'invalid datetime format', type: 'value_error.datetime' }]);
  }
  return instant;
}

/**
 * The instant at full precision, as text: whole seconds since the epoch, then the fractional
 * digits as sent without trailing zeros, so the same moment written with another offset or
 * another number of zeros is the same. Linear in the length of the text (no backtracking).
 */
export function normalisedInstant(timestamp: string): string {
  const seconds = Math.floor(instantOf(timestamp).getTime() / 1000);
  const dot = timestamp.indexOf('.');
  if (dot < 0) return String(seconds);
  let end = dot + 1;
  while (end < timestamp.length && timestamp.charCodeAt(end) >= 48 && timestamp.charCodeAt(end) <= 57) end++;
  let last = end;
  while (last > dot + 1 && timestamp[last - 1] === '0') last--;
  return last > dot + 1 ? `${seconds}.${timestamp.slice(dot + 1, last)}` : String(seconds);
}
