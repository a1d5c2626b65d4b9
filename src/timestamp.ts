const LEAP_SECOND = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}):60(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The instant a validated RFC 3339 timestamp denotes. JavaScript dates have no leap seconds,
 * so `:60` becomes the last millisecond of its minute rather than an invalid date.
 */
export function instantOf(timestamp: string): Date {
  const text = timestamp.replace(LEAP_SECOND, '$1:59.999$2');
  const instant = new Date(text);
  if (Number.isNaN(instant.getTime())) throw new RangeError('timestamp does not denote an instant');
  return instant;
}
