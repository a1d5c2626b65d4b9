import { MongoClient, type Collection, type Document } from 'mongodb';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { start, type StartOptions } from '../../src/service';
import { EVENTS_COLLECTION } from '../../src/store/mongoStore';

export interface TestApp {
  url: string;
  /** URL of POST /webhook/appointment. */
  endpoint: string;
  /** The real collection, for asserting what was stored. */
  events: Collection<Document>;
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

/** Boots the real app in-process on a free port against the real database. */
export async function startTestApp(options: {
  dbName: string;
  uri?: string;
  config?: Partial<Config>;
  wrapStore?: StartOptions['wrapStore'];
}): Promise<TestApp> {
  const uri = options.uri ?? testDatabaseUri();
  const logs: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void logs.push(line) });
  const config = { ...loadConfig({}), port: 0, host: '127.0.0.1', mongodbDb: options.dbName, ...options.config, mongodbUri: uri };
  const service = await start(config, { logger, wrapStore: options.wrapStore });
  const client = await MongoClient.connect(uri);
  const events = client.db(options.dbName).collection(EVENTS_COLLECTION);
  return {
    url: service.url,
    endpoint: `${service.url}/webhook/appointment`,
    events,
    logs,
    clear: async () => {
      await events.deleteMany({});
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
