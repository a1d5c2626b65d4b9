import proxyaddr from 'proxy-addr';

/**
 * The service's configuration: every key is read from the environment here and nowhere else.
 * A bad value stops start-up with a message naming the variable.
 */
export interface Config {
  /** PORT: TCP port to listen on (default 3000; 0 picks a free port). */
  port: number;
  /** HOST: address to bind (default 127.0.0.1; use 0.0.0.0 inside a container). */
  host: string;
  /** MONGODB_URI: the production database. Unset: `npm start` runs the local FerretDB database. */
  mongodbUri: string | undefined;
  /** MONGODB_DB: database name (default appointment_webhooks). */
  mongodbDb: string;
  /** LOG_LEVEL: fatal, error, warn, info, debug, trace or silent (default info). */
  logLevel: LogLevel;
  /** BODY_LIMIT_BYTES: largest accepted request body (default 65536, the documented 64 KiB). */
  bodyLimitBytes: number;
  /** DB_TIMEOUT_MS: how long a request waits for the database before answering 503 (default 2500). */
  dbTimeoutMs: number;
  /** RETRY_AFTER_SECONDS: the Retry-After value sent with 503 (default 5). */
  retryAfterSeconds: number;
  /** REQUEST_TIMEOUT_MS: longest time a client may take to send a whole request (default 10000). */
  requestTimeoutMs: number;
  /** SHUTDOWN_TIMEOUT_MS: how long a stop waits for requests in flight before exiting (default 10000). */
  shutdownTimeoutMs: number;
  /** SIGNATURE_TOLERANCE_SECONDS: how far webhook-timestamp may be from now, either way (default 300). */
  signatureToleranceSeconds: number;
  /** AUTH_CACHE_TTL_MS: how long a looked-up key is remembered; bounds how late a revocation bites (default 30000, at most 60000). */
  authCacheTtlMs: number;
  /** ROTATION_GRACE: how long a rotated-out key or signing secret keeps working, e.g. 24h, 90m, 30s (default 24h). */
  rotationGraceMs: number;
  /** RATE_LIMIT_PER_SECOND / RATE_LIMIT_BURST: each partner's default limit (50/s, bursts of 100). `partners add --rate R` sets R/s with bursts of 2R. */
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /**
   * UNAUTHENTICATED_RATE_LIMIT_PER_SECOND / _BURST: failed authentications allowed (1/s, bursts of
   * 10) per client address for requests without a known key, per refused key, and per partner for
   * bad signatures. A valid key with a valid signature never spends from them.
   */
  unauthenticatedRatePerSecond: number;
  unauthenticatedBurst: number;
  /** METRICS_TOKEN: bearer token that GET /metrics requires (16+ characters); unset, /metrics refuses every request. */
  metricsToken: string | undefined;
  /** WRITE_BATCH_MAX: events per database insert at most (default 500; 1 turns write batching off). */
  writeBatchMax: number;
  /** WRITE_QUEUE_MAX: events waiting for a database write at most (default 5000); past it, 503 at once. */
  writeQueueMax: number;
  /**
   * TRUST_PROXY: which X-Forwarded-For entries name the client. Off (default): the connection's
   * peer is the client. A hop count (1 to 10): that many proxies in front. A comma-separated list
   * of addresses and CIDR ranges (or loopback, linklocal, uniquelocal): the proxies to believe.
   */
  trustProxy: false | number | string[];
  /** VALIDATE_RESPONSES: on checks every reply against openapi.yaml and logs any that breaks it (default off; tests run with it on). */
  validateResponses: boolean;
  /** LOCAL_DB_PORT: port of the local FerretDB database started by `npm start` (default 27117). */
  localDbPort: number;
  /** LOCAL_DB_DIR: where the local database keeps its files (default .local/ferretdb-data). */
  localDbDir: string;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number from ${min} to ${max}`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(name, `must be a whole number from ${min} to ${max}`);
  return value;
}

function text(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? fallback : raw.trim();
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name, fallback ? 'on' : 'off').toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(raw)) return true;
  if (['off', 'false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(name, 'must be on or off');
}

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60000, h: 3600000, d: 86400000 };

/** Parses durations such as 30s, 90m, 24h, 7d (at most 30 days). */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2]!]!;
  return ms <= 30 * UNIT_MS.d! ? ms : undefined;
}

function duration(env: Env, name: string, fallback: string): number {
  const ms = parseDuration(text(env, name, fallback));
  if (ms === undefined) throw new ConfigError(name, 'must be a duration such as 30s, 90m, 24h or 7d (at most 30d)');
  return ms;
}

function mongodbUri(env: Env): string | undefined {
  const raw = env.MONGODB_URI?.trim();
  if (!raw) return undefined;
  if (!/^mongodb(\+srv)?:\/\/[^\s]+$/.test(raw)) {
    throw new ConfigError('MONGODB_URI', 'must be a mongodb:// or mongodb+srv:// connection string');
  }
  return raw;
}

function metricsToken(env: Env): string | undefined {
  const token = env.METRICS_TOKEN?.trim();
  if (!token) return undefined;
  if (!/^[\x21-\x7e]{16,256}$/.test(token)) throw new ConfigError('METRICS_TOKEN', 'must be 16 to 256 visible ASCII characters');
  return token;
}

function databaseName(env: Env): string {
  const name = text(env, 'MONGODB_DB', 'appointment_webhooks');
  // MongoDB forbids these characters in database names, and caps the length at 63 bytes.
  // eslint-disable-next-line no-control-regex -- NUL is one of the forbidden characters
  if (!/^[^/\\. "$*<>:|?\x00]{1,63}$/.test(name)) {
    throw new ConfigError('MONGODB_DB', 'must be 1 to 63 characters without / \\ . " $ * < > : | ? or spaces');
  }
  return name;
}

function trustProxy(env: Env): false | number | string[] {
  const raw = text(env, 'TRUST_PROXY', 'off').toLowerCase();
  if (['off', 'false', '0', 'no'].includes(raw)) return false;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > 10) throw new ConfigError('TRUST_PROXY', 'must be off, a hop count from 1 to 10, or a list of proxy addresses and CIDR ranges');
    return hops;
  }
  if (raw === 'true' || raw === 'on' || raw === 'yes') {
    throw new ConfigError('TRUST_PROXY', 'cannot trust every hop: any client could then name any address; give a hop count or the proxies\' addresses');
  }
  const list = raw.split(',').map((entry) => entry.trim());
  try {
    if (list.some((entry) => entry === '')) throw new TypeError('empty entry');
    proxyaddr.compile(list);
  } catch {
    throw new ConfigError('TRUST_PROXY', 'must be off, a hop count from 1 to 10, or a comma-separated list of addresses and CIDR ranges (or loopback, linklocal, uniquelocal)');
  }
  return list;
}

function logLevel(env: Env): LogLevel {
  const level = text(env, 'LOG_LEVEL', 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return level as LogLevel;
}

export function loadConfig(env: Env = process.env): Config {
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: text(env, 'HOST', '127.0.0.1'),
    mongodbUri: mongodbUri(env),
    mongodbDb: databaseName(env),
    logLevel: logLevel(env),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 65536, 1024, 16 * 1024 * 1024),
    dbTimeoutMs: integer(env, 'DB_TIMEOUT_MS', 2500, 100, 60000),
    retryAfterSeconds: integer(env, 'RETRY_AFTER_SECONDS', 5, 1, 3600),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 10000, 1000, 600000),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10000, 100, 600000),
    signatureToleranceSeconds: integer(env, 'SIGNATURE_TOLERANCE_SECONDS', 300, 1, 3600),
    authCacheTtlMs: integer(env, 'AUTH_CACHE_TTL_MS', 30000, 0, 60000),
    rotationGraceMs: duration(env, 'ROTATION_GRACE', '24h'),
    rateLimitPerSecond: integer(env, 'RATE_LIMIT_PER_SECOND', 50, 1, 1_000_000),
    rateLimitBurst: integer(env, 'RATE_LIMIT_BURST', 100, 1, 1_000_000),
    unauthenticatedRatePerSecond: integer(env, 'UNAUTHENTICATED_RATE_LIMIT_PER_SECOND', 1, 1, 1_000_000),
    unauthenticatedBurst: integer(env, 'UNAUTHENTICATED_RATE_LIMIT_BURST', 10, 1, 1_000_000),
    metricsToken: metricsToken(env),
    writeBatchMax: integer(env, 'WRITE_BATCH_MAX', 500, 1, 10000),
    writeQueueMax: integer(env, 'WRITE_QUEUE_MAX', 5000, 1, 1_000_000),
    trustProxy: trustProxy(env),
    validateResponses: flag(env, 'VALIDATE_RESPONSES', false),
    localDbPort: integer(env, 'LOCAL_DB_PORT', 27117, 1, 65535),
    localDbDir: text(env, 'LOCAL_DB_DIR', '.local/ferretdb-data'),
  };
}
