import { availableParallelism } from 'node:os';
import { ConfigError, databaseName, duration, flag, integer, logLevel, mongodbUri, operatorSecret, publicBaseUrl, supportEmail, text, trustProxy, type Env, type LogLevel } from './configParsers';

export { ConfigError, parseDuration, type LogLevel } from './configParsers';

/** How often the list of key digests is read again; a key issued since is still looked up. */
export const KEY_LIST_REFRESH_MS = 10_000;

/** How long the feed sequencer's lease lasts: the longest the feed stalls when its instance stops. */
export const FEED_LEASE_MS = 10_000;

/**
 * The service's configuration: every key is read from the environment here and nowhere else.
 * A bad value stops start-up with a message naming the variable.
 */
export interface Config {
  /**
   * WORKERS: processes serving the port together (default: the number of cores; 1 serves from a
   * single process, with no primary). Each worker is an instance for numbering, limits and the feed.
   */
  workers: number;
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
  /** OPERATOR_TOKEN: bearer token of the operator console and the /operator routes (16+ characters); unset, they refuse every request. */
  operatorToken: string | undefined;
  /** DELIVERY_LOG_DAYS: days a delivery record is kept (default 30); 0 records none. */
  deliveryLogDays: number;
  /** TEST_EVENT_DAYS: days a test-mode event is kept (default 7). */
  testEventDays: number;
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
  /** PUBLIC_BASE_URL: where partners reach the service, as the published spec's server (unset: the spec says "/", the host serving it). */
  publicBaseUrl: string | undefined;
  /** SUPPORT_EMAIL: the support address the guide gives partners; the service requires it with MONGODB_URI (unset locally: integrations@localhost). */
  supportEmail: string | undefined;
  /** FEED_SEQUENCER: on (default) lets this instance take its turn placing stored events in the feed; off leaves it to the others (at least one instance must have it on). */
  feedSequencer: boolean;
  /** FEED_INTERVAL_MS: how often the feed looks for newly stored events when it has caught up (default 200). */
  feedIntervalMs: number;
  /** FEED_CHUNK_SIZE: events placed in the feed per database round at most (default 1000). */
  feedChunkSize: number;
  /** LOCAL_DB_PORT: port of the local FerretDB database started by `npm start` (default 27117). */
  localDbPort: number;
  /** LOCAL_DB_DIR: where the local database keeps its files (default .local/ferretdb-data). */
  localDbDir: string;
}

export function loadConfig(env: Env = process.env): Config {
  return {
    workers: integer(env, 'WORKERS', availableParallelism(), 1, 256),
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
    metricsToken: operatorSecret(env, 'METRICS_TOKEN'),
    operatorToken: operatorSecret(env, 'OPERATOR_TOKEN'),
    deliveryLogDays: integer(env, 'DELIVERY_LOG_DAYS', 30, 0, 3650),
    testEventDays: integer(env, 'TEST_EVENT_DAYS', 7, 1, 365),
    writeBatchMax: integer(env, 'WRITE_BATCH_MAX', 500, 1, 10000),
    writeQueueMax: integer(env, 'WRITE_QUEUE_MAX', 5000, 1, 1_000_000),
    trustProxy: trustProxy(env),
    validateResponses: flag(env, 'VALIDATE_RESPONSES', false),
    publicBaseUrl: publicBaseUrl(env),
    supportEmail: supportEmail(env),
    feedSequencer: flag(env, 'FEED_SEQUENCER', true),
    feedIntervalMs: integer(env, 'FEED_INTERVAL_MS', 200, 10, 60000),
    feedChunkSize: integer(env, 'FEED_CHUNK_SIZE', 1000, 1, 5000),
    localDbPort: integer(env, 'LOCAL_DB_PORT', 27117, 1, 65535),
    localDbDir: text(env, 'LOCAL_DB_DIR', '.local/ferretdb-data'),
  };
}

/** What the service needs beyond what the partners CLI does: a real support address for the guide it publishes. */
export function checkServiceConfig(config: Config): void {
  // Prometheus keeps the metrics token in its configuration; it must never open patient data.
  if (config.operatorToken !== undefined && config.operatorToken === config.metricsToken) throw new ConfigError('OPERATOR_TOKEN', 'must differ from METRICS_TOKEN');
  if (config.mongodbUri && !config.supportEmail) throw new ConfigError('SUPPORT_EMAIL', 'must be set with MONGODB_URI: the published guide gives it to partners');
}
