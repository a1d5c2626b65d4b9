import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { createApp, type AppDeps } from './app';
import { createAuthenticator } from './auth/authenticate';
import { ConsumerDirectory } from './auth/consumerDirectory';
import { PartnerDirectory } from './auth/partnerDirectory';
import { KEY_LIST_REFRESH_MS, type Config } from './config';
import { createHttpServer } from './http/httpServer';
import { describe } from './http/requestLog';
import { FailedAuthentications } from './limits/failedAuthentications';
import { partnerPolicy, sharedPartnerBuckets } from './limits/partnerLimits';
import { Metrics } from './metrics';
import { docValues, fillIn } from './http/docValues';
import { keepRecovering } from './handlers/notificationRecovery';
import { publishedDocs } from './publishedDocs';
import type { EventStore } from './store/eventStore';
import type { PartnerStore } from './store/partnerStore';
import type { PendingNotifications } from './store/pendingNotifications';
import type { QueryPlan } from './store/eventQueryPlan';
import { startFeedLoop } from './store/feedLoop';
import { openStores, type Stores, type StoresOptions } from './store/stores';

/** How often expired delivery records and test events are looked for, where no TTL index deletes them. */
const RETENTION_SWEEP_MS = 60_000;
/** How often notifications whose write was cut short are looked for. */
const RECOVERY_SWEEP_MS = 10_000;
export interface RunningService {
  url: string;
  port: number;
  stores: Stores;
  /** Stops accepting connections, lets requests in flight finish, then closes the database client. */
  stop(): Promise<void>;
}

export interface StartOptions {
  logger: Logger;
  /** Lets tests put a faulty store in front of the real one. */
  wrapStore?: (store: EventStore) => EventStore;
  /** Lets tests put a faulty or counting partner store in front of the real one. */
  wrapPartners?: (partners: PartnerStore) => PartnerStore;
  /** Lets tests inject failing metrics. */
  metrics?: Metrics;
  /** Sees every query plan GET /events sends. */
  observeQueries?: (plan: QueryPlan) => void;
  /** Told of every reply that breaks the contract, when VALIDATE_RESPONSES is on. */
  onContractViolation?: AppDeps['onContractViolation'];
  /** Lets tests store delivery records one document each, as on MongoDB, on the local database. */
  deliveryStorage?: StoresOptions['deliveryStorage'];
  /** False while readiness must answer 503 although this process serves: with WORKERS, until every worker has started. */
  ready?: () => boolean;
  /** Lets tests put a failing store of write-ahead records in front of the real one. */
  wrapPending?: (pending: PendingNotifications) => PendingNotifications;
  /** How often, and after how long, notifications cut short are completed (tests shorten both). */
  notificationRecovery?: { everyMs: number; afterMs: number };
}

export async function start(config: Config & { mongodbUri: string }, options: StartOptions): Promise<RunningService> {
  const { logger } = options;
  const metrics = options.metrics ?? new Metrics();
  const stores = await openStores({
    uri: config.mongodbUri,
    dbName: config.mongodbDb,
    timeoutMs: config.dbTimeoutMs,
    maxBatch: config.writeBatchMax,
    maxQueued: config.writeQueueMax,
    onInsert: (sent, stored, seconds) => {
      metrics.dbWriteSeconds.observe(seconds);
      metrics.dbBatchSize.observe(sent);
      metrics.eventsStored.inc(stored);
    },
    onQueueFull: () => metrics.writeQueueRejections.inc(),
    instance: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    feedChunkSize: config.feedChunkSize,
    observeQueries: options.observeQueries,
    deliveryStorage: options.deliveryStorage,
    retention: {
      deliveryLogDays: config.deliveryLogDays,
      testEventDays: config.testEventDays,
      onDeliveriesDropped: (count) => metrics.deliveryLogDropped.inc(count),
      onDeliveryLogError: (err, what) =>
        logger.warn(
          { cause: describe(err) },
          what === 'records'
            ? 'delivery records could not be written; they are dropped (events are not affected)'
            : 'delivery counts could not be updated; the operator summary falls short of the records',
        ),
    },
  });
  stores.deliveryLog?.start();
  // Where the database has no TTL indexes, expired delivery records and test events are deleted here.
  const stopSweeping = stores.retention?.keepSweeping(RETENTION_SWEEP_MS, (err) => logger.warn({ cause: describe(err) }, 'expired delivery records or test events could not be deleted')) ?? (() => Promise.resolve());
  const feedLoop = config.feedSequencer
    ? startFeedLoop(stores.sequencer, { intervalMs: config.feedIntervalMs, chunkSize: config.feedChunkSize, log: logger })
    : { stop: () => Promise.resolve() };
  metrics.pingDatabase = () => stores.ping();
  metrics.writeQueue = () => stores.events.queueStats();
  metrics.numbering = () => stores.numbering();
  const store = options.wrapStore ? options.wrapStore(stores.events) : stores.events;
  const partners = options.wrapPartners ? options.wrapPartners(stores.partners) : stores.partners;
  const pending = options.wrapPending ? options.wrapPending(stores.pending) : stores.pending;
  const now = () => new Date();
  const failures = new FailedAuthentications({ ratePerSecond: config.unauthenticatedRatePerSecond, burst: config.unauthenticatedBurst });
  const directory = new PartnerDirectory({
    findByKeyHashes: (hashes) => partners.findByKeyHashes(hashes),
    listKeyHashes: () => partners.listKeyHashes(),
    ttlMs: config.authCacheTtlMs,
  });
  // The list of keys tells valid keys from guesses without a query; kept fresh in the background.
  await directory.refreshKnown();
  const refreshKeys = setInterval(() => {
    directory.refreshKnown().catch((err: unknown) => logger.warn({ cause: describe(err) }, 'the key list could not be refreshed'));
  }, KEY_LIST_REFRESH_MS);
  refreshKeys.unref();
  const consumers = new ConsumerDirectory({ store: stores.consumers, ttlMs: config.authCacheTtlMs });
  const stopConsumerRefresh = await consumers.keepKnownFresh((err) => logger.warn({ cause: describe(err) }, 'the consumer token list could not be refreshed'));
  const authenticate = createAuthenticator({
    directory,
    failures,
    toleranceSeconds: config.signatureToleranceSeconds,
    now,
  });
  // What the published docs state of this instance's settings, filled in as each file is first read.
  const values = docValues(config);
  let server: Server;
  let stopping = false;
  let stopRecovering = (_waitMs: number): Promise<void> => Promise.resolve();
  try {
    const app = await createApp({
      config,
      logger,
      limits: { partners: sharedPartnerBuckets(stores.rateLimits, metrics), partnerPolicy: partnerPolicy(config), failures },
      store,
      testStore: stores.testEvents, starts: stores.starts, pending, versionKeys: stores.versionKeys,
      partnerEvents: stores.partnerEvents,
      deliveries: stores.deliveries,
      deliveryLog: stores.deliveryLog,
      activePartners: (ms) => partners.activeNames(ms),
      authenticate,
      authenticateConsumer: (token) => consumers.authenticateConsumer(token, { timeoutMs: config.dbTimeoutMs }),
      reads: stores.reads,
      feed: stores.feed,
      now,
      pingDatabase: () => stores.ping(),
      metrics,
      published: publishedDocs((text) => fillIn(text, values)),
      isStopping: () => stopping || options.ready?.() === false,
      onContractViolation: options.onContractViolation,
    });
    // A record younger than 3 × DB_TIMEOUT_MS (30 s at least) may still be its request's own.
    const recovery = options.notificationRecovery ?? { everyMs: RECOVERY_SWEEP_MS, afterMs: Math.max(30_000, 3 * config.dbTimeoutMs) };
    stopRecovering = keepRecovering(
      { store, testStore: stores.testEvents, starts: stores.starts, pending, versionKeys: stores.versionKeys, now },
      { ...recovery, backoffMs: Math.max(recovery.everyMs, recovery.afterMs), timeoutMs: config.dbTimeoutMs, log: logger, onOutcome: (outcome) => metrics.notificationsCompleted.inc({ outcome }) },
    );
    server = createHttpServer(app, config, logger);
    server.listen(config.port, config.host);
    await once(server, 'listening');
  } catch (err) {
    void stopSweeping();
    stopConsumerRefresh();
    await stopRecovering(0);
    await feedLoop.stop();
    await stores.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      // Readiness turns 503 at once; no new connections are taken; requests in flight run to
      // their reply (a 201 only after their write is acknowledged). Whatever is still open a
      // second before the bound is cut: its client sees a dropped connection, never a false 201.
      stopping = true;
      clearInterval(refreshKeys);
      void stopSweeping();
      stopConsumerRefresh();
      // A notification being completed is left to the next sweep if it takes longer than this.
      const recoveryStopped = stopRecovering(200);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const forced = setTimeout(() => server.closeAllConnections(), Math.max(100, config.shutdownTimeoutMs - 1000));
      await closed;
      clearTimeout(forced);
      // A database that stopped answering must not hold the exit past the bound.
      let giveUp: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all([recoveryStopped, feedLoop.stop()]).then(() => stores.close()), new Promise((resolve) => (giveUp = setTimeout(resolve, 500)))]);
      clearTimeout(giveUp);
    })());

  return { url: `http://${host}:${port}`, port, stores, stop };
}
