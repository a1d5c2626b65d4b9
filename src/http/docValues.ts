import { maxHeaderSize } from 'node:http';
import { FEED_LEASE_MS, KEY_LIST_REFRESH_MS, type Config } from '../config';
import { MAX_DEPTH } from './jsonHazards';

export type DocValues = Readonly<Record<string, string | number>>;

function bytes(n: number): string {
  return n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`;
}

function duration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  // "24 hours" reads better than "1 day"; days from the second one on.
  for (const [size, name] of units) if (ms >= (size === 86_400_000 ? 2 * size : size) && ms % size === 0) return `${ms / size} ${name}${ms === size ? '' : 's'}`;
  return `${ms / 1000} seconds`;
}

/**
 * What the published docs say of this instance's settings, filled in where the guide and the
 * spec write %%NAME%%: the guide can then never state a limit the service does not apply.
 * Numbers stay numbers where an example shows them as JSON values.
 */
export function docValues(config: Config): DocValues {
  return {
    BODY_LIMIT: bytes(config.bodyLimitBytes),
    BODY_LIMIT_BYTES: config.bodyLimitBytes,
    HEADER_LIMIT: bytes(maxHeaderSize),
    REQUEST_TIMEOUT: duration(config.requestTimeoutMs),
    DB_TIMEOUT: duration(config.dbTimeoutMs),
    RETRY_AFTER: config.retryAfterSeconds,
    RATE_LIMIT_PER_SECOND: config.rateLimitPerSecond,
    RATE_LIMIT_BURST: config.rateLimitBurst,
    // RateLimit-Policy's w: the seconds a drained allowance takes to refill (see rateLimitHeaders).
    RATE_LIMIT_WINDOW: Math.max(1, Math.ceil(config.rateLimitBurst / config.rateLimitPerSecond)),
    FAILED_AUTH_PER_SECOND: config.unauthenticatedRatePerSecond,
    FAILED_AUTH_BURST: config.unauthenticatedBurst,
    SIGNATURE_TOLERANCE: duration(config.signatureToleranceSeconds * 1000),
    ROTATION_GRACE: duration(config.rotationGraceMs),
    REVOCATION_DELAY: duration(config.authCacheTtlMs),
    KEY_LIST_REFRESH: duration(KEY_LIST_REFRESH_MS),
    JSON_MAX_DEPTH: MAX_DEPTH,
    FEED_INTERVAL: duration(config.feedIntervalMs),
    FEED_LEASE: duration(FEED_LEASE_MS),
    // 0 turns recording off; what was recorded before is then kept a day.
    DELIVERY_LOG_DAYS: duration(Math.max(1, config.deliveryLogDays) * 86_400_000),
    TEST_EVENT_DAYS: duration(config.testEventDays * 86_400_000),
    PUBLIC_BASE_URL: config.publicBaseUrl ?? '/',
    // Without a production database the service may run without one (checkServiceConfig).
    SUPPORT_EMAIL: config.supportEmail ?? 'integrations@localhost',
  };
}

/**
 * Fills a published file in: a quoted %%NAME%% of a number becomes the bare number (a JSON or
 * YAML example value, or one quoted in the page's HTML), any other %%NAME%% its text.
 */
export function fillIn(text: string, values: DocValues): string {
  return text.replace(/(&quot;|"|')?%%([A-Z_]+)%%(&quot;|"|')?/g, (whole, open: string | undefined, name: string, close: string | undefined) => {
    const value = values[name];
    if (value === undefined) return whole;
    if (typeof value === 'number' && open !== undefined && open === close) return String(value);
    return `${open ?? ''}${String(value)}${close ?? ''}`;
  });
}
