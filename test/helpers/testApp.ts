import { TEST_VERSION_KEYS_COLLECTION, VERSION_KEYS_COLLECTION, versionKeysDatabaseName } from '../../src/store/versionKeys';
import { MongoClient, type Collection, type Db, type Document } from 'mongodb';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { start, type StartOptions } from '../../src/service';
import { EVENTS_COLLECTION } from '../../src/store/eventStore';
import type { PartnerStore } from '../../src/store/partnerStore';
import type { Stores } from '../../src/store/stores';
import { recordViolation } from './contractViolations';
import { post, type Reply } from './http';
import { aPartner } from './partners';

export interface TestApp {
  url: string;
  /** URL of POST /webhook/appointment. */
  endpoint: string;
  /** The real collection, for asserting what was stored. */
  events: Collection<Document>;
  db: Db;
  partners: PartnerStore;
  /** The running service's stores (the write queue's figures, for one). */
  stores: Stores;
  /** A partner created for this app, and its key as an Authorization header. */
  partner: string;
  apiKey: string;
  auth: Record<string, string>;
  /** POSTs to the endpoint (or `url`) with this app's partner key. */
  post(body: unknown, headers?: Record<string, string>, url?: string): Promise<Reply>;
  /** Every log line the app wrote, as parsed JSON. */
  logs: string[];
  clear(): Promise<void>;
  stop(): Promise<void>;
}

export function testDatabaseUri(): string {
  const uri = process.env.TEST_MONGODB_URI;
  if (!uri) throw new Error('TEST_MONGODB_URI is not set: run the tests through jest (globalSetup starts the database)');
  return uri;
}

let apps = 0;

/** Boots the real app in-process on a free port against the real database. */
export async function startTestApp(options: {
  dbName: string;
  uri?: string;
  config?: Partial<Config>;
  wrapStore?: StartOptions['wrapStore'];
  wrapPartners?: StartOptions['wrapPartners'];
  metrics?: StartOptions['metrics'];
  observeQueries?: StartOptions['observeQueries'];
  deliveryStorage?: StartOptions['deliveryStorage'];
  ready?: StartOptions['ready'];
  wrapPending?: StartOptions['wrapPending'];
  notificationRecovery?: StartOptions['notificationRecovery'];
}): Promise<TestApp> {
  const uri = options.uri ?? testDatabaseUri();
  const logs: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void logs.push(line) });
  // Tests send many requests, and many on purpose without a valid key: limits are high unless a test sets them.
  const config = {
    ...loadConfig({}),
    port: 0,
    host: '127.0.0.1',
    mongodbDb: options.dbName,
    rateLimitPerSecond: 100_000,
    rateLimitBurst: 100_000,
    unauthenticatedRatePerSecond: 100_000,
    unauthenticatedBurst: 100_000,
    // Every reply is checked against openapi.yaml; one that breaks it fails the test that caused it.
    validateResponses: true,
    // The feed's rounds read every event on the local database (which all test files share):
    // only tests that read the feed run its sequencer.
    feedSequencer: false,
    ...options.config,
    mongodbUri: uri,
  };
  const service = await start(config, {
    logger,
    wrapStore: options.wrapStore,
    wrapPartners: options.wrapPartners,
    metrics: options.metrics,
    observeQueries: options.observeQueries,
    deliveryStorage: options.deliveryStorage,
    ready: options.ready,
    wrapPending: options.wrapPending,
    notificationRecovery: options.notificationRecovery,
    onContractViolation: recordViolation,
  });
  const client = await MongoClient.connect(uri);
  const db = client.db(options.dbName);
  const events = db.collection(EVENTS_COLLECTION);
  const { name: partner, apiKey, auth } = await aPartner(service.stores.partners, { name: `test-${process.pid}-${++apps}` });
  const endpoint = `${service.url}/webhook/appointment`;
  return {
    url: service.url,
    endpoint,
    events,
    db,
    partners: service.stores.partners,
    stores: service.stores,
    partner,
    apiKey,
    auth,
    post: (body, headers = {}, url = endpoint) => post(url, body, { ...auth, ...headers }),
    logs,
    clear: async () => {
      await events.deleteMany({});
      // A FHIR version's claim outlives its event (see versionKeys.ts): a test's versions start unclaimed.
      const claims = client.db(versionKeysDatabaseName(options.dbName));
      await Promise.all([VERSION_KEYS_COLLECTION, TEST_VERSION_KEYS_COLLECTION].map((name) => claims.collection(name).deleteMany({})));
      logs.length = 0;
    },
    stop: async () => {
      await service.stop();
      await client.close();
    },
  };
}

/** A database name of its own for each test file, so files can run in parallel. */
export function dbNameFor(file: string): string {
  const base = file.replace(/^.*\//, '').replace(/\.test\.ts$/, '').replace(/[^A-Za-z0-9]/g, '_');
  return `t_${base}_${process.pid}`.slice(0, 60);
}
