import { availableParallelism } from 'node:os';
import { checkServiceConfig, ConfigError, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  test('when nothing is set, then the documented defaults apply', () => {
    expect(loadConfig({})).toEqual({
      workers: availableParallelism(),
      port: 3000,
      host: '127.0.0.1',
      mongodbUri: undefined,
      mongodbDb: 'appointment_webhooks',
      logLevel: 'info',
      bodyLimitBytes: 65536,
      dbTimeoutMs: 2500,
      feedSequencer: true,
      feedIntervalMs: 200,
      feedChunkSize: 1000,
      retryAfterSeconds: 5,
      requestTimeoutMs: 10000,
      shutdownTimeoutMs: 10000,
      signatureToleranceSeconds: 300,
      authCacheTtlMs: 30000,
      rotationGraceMs: 86400000,
      rateLimitPerSecond: 50,
      rateLimitBurst: 100,
      unauthenticatedRatePerSecond: 1,
      unauthenticatedBurst: 10,
      metricsToken: undefined,
      operatorToken: undefined,
      deliveryLogDays: 30,
      testEventDays: 7,
      writeBatchMax: 500,
      writeQueueMax: 5000,
      trustProxy: false,
      validateResponses: false,
      publicBaseUrl: undefined,
      supportEmail: undefined,
      localDbPort: 27117,
      localDbDir: '.local/ferretdb-data',
    });
  });

  test('when a revocation must bite within 60 s, then the key cache can never be set to remember longer', () => {
    expect(loadConfig({ AUTH_CACHE_TTL_MS: '60000' }).authCacheTtlMs).toBe(60000);
    expect(() => loadConfig({ AUTH_CACHE_TTL_MS: '60001' })).toThrow(ConfigError);
  });

  test.each([
    ['30s', 30000],
    ['90m', 5400000],
    ['24h', 86400000],
    ['7d', 604800000],
  ])('when ROTATION_GRACE is %s, then it is %i ms', (text, ms) => {
    expect(loadConfig({ ROTATION_GRACE: text }).rotationGraceMs).toBe(ms);
  });

  test.each([
    ['off', false],
    ['0', false],
    ['2', 2],
    ['10.0.0.0/8', ['10.0.0.0/8']],
    ['loopback, 192.168.1.10, fd00::/8', ['loopback', '192.168.1.10', 'fd00::/8']],
  ])('when TRUST_PROXY is %p, then it is read as %p', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  test('when WORKERS is 1, then one process serves (no primary); when 4, four workers', () => {
    expect(loadConfig({ WORKERS: '1' }).workers).toBe(1);
    expect(loadConfig({ WORKERS: '4' }).workers).toBe(4);
  });

  test('when values are set, then they are used', () => {
    const config = loadConfig({ PORT: '8080', MONGODB_URI: 'mongodb+srv://user:pw@cluster0.example.net/', MONGODB_DB: 'events', LOG_LEVEL: 'WARN', DB_TIMEOUT_MS: '1000', SUPPORT_EMAIL: 'ops@example.com' });
    expect(config).toMatchObject({ port: 8080, mongodbUri: 'mongodb+srv://user:pw@cluster0.example.net/', mongodbDb: 'events', logLevel: 'warn', dbTimeoutMs: 1000 });
  });

  test.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['MONGODB_URI', 'postgres://localhost/db'],
    ['MONGODB_URI', 'mongodb://host with space'],
    ['MONGODB_DB', 'bad.name'],
    ['MONGODB_DB', 'x'.repeat(64)],
    ['LOG_LEVEL', 'loud'],
    ['BODY_LIMIT_BYTES', '10'],
    ['DB_TIMEOUT_MS', '0'],
    ['RETRY_AFTER_SECONDS', 'soon'],
    ['REQUEST_TIMEOUT_MS', '1e4'],
    ['SHUTDOWN_TIMEOUT_MS', ''.padEnd(3, '9') + 'x'],
    ['LOCAL_DB_PORT', '0'],
    ['VALIDATE_RESPONSES', 'sometimes'],
    ['PUBLIC_BASE_URL', 'ftp://hooks.example.com'],
    ['SUPPORT_EMAIL', 'nobody'],
    ['SIGNATURE_TOLERANCE_SECONDS', '0'],
    ['AUTH_CACHE_TTL_MS', '60001'],
    ['ROTATION_GRACE', '24 hours'],
    ['ROTATION_GRACE', '31d'],
    ['RATE_LIMIT_PER_SECOND', '0'],
    ['RATE_LIMIT_BURST', 'lots'],
    ['UNAUTHENTICATED_RATE_LIMIT_PER_SECOND', '-5'],
    ['METRICS_TOKEN', 'short'],
    ['OPERATOR_TOKEN', 'short'],
    ['DELIVERY_LOG_DAYS', '-1'],
    ['DELIVERY_LOG_DAYS', '3651'],
    ['TEST_EVENT_DAYS', '0'],
    ['WRITE_BATCH_MAX', '0'],
    ['WRITE_QUEUE_MAX', '0'],
    ['WORKERS', '0'],
    ['WORKERS', 'all'],
    ['WORKERS', '257'],
    ['TRUST_PROXY', 'true'],
    ['TRUST_PROXY', '11'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['TRUST_PROXY', 'proxy.internal'],
    ['TRUST_PROXY', '10.0.0.1,,10.0.0.2'],
  ])('when %s is %p, then loading fails with a message naming the variable', (variable, value) => {
    let thrown: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).variable).toBe(variable);
    expect((thrown as ConfigError).message).toContain(variable);
  });

  test('when OPERATOR_TOKEN equals METRICS_TOKEN, then the service refuses to start, naming OPERATOR_TOKEN', () => {
    const token = 'the-same-token-for-both-0123';
    const config = loadConfig({ METRICS_TOKEN: token, OPERATOR_TOKEN: token });
    expect(() => checkServiceConfig(config)).toThrow(/OPERATOR_TOKEN must differ from METRICS_TOKEN/);
    expect(() => checkServiceConfig(loadConfig({ METRICS_TOKEN: token, OPERATOR_TOKEN: `${token}-x` }))).not.toThrow();
  });
});
