import { MongoClient, type Db } from 'mongodb';
import type { Config } from '../../src/config';
import { startTestApp, testDatabaseUri, type TestApp } from './testApp';

/** Several instances of the app on one database, as servers behind a load balancer are. */
export interface Instances {
  apps: TestApp[];
  /** The database they share, for what a test reads or plants there. */
  db: Db;
  stop(): Promise<void>;
}

/** Empties `dbName`, lets `prepare` plant what the instances must find, then starts `count` instances on it. */
export async function startInstances(dbName: string, count: number, options: { config?: Partial<Config>; prepare?: (db: Db) => Promise<unknown> } = {}): Promise<Instances> {
  const client = await MongoClient.connect(testDatabaseUri());
  const db = client.db(dbName);
  const apps: TestApp[] = [];
  try {
    await db.dropDatabase();
    await options.prepare?.(db);
    for (let i = 0; i < count; i++) apps.push(await startTestApp({ dbName, config: options.config }));
  } catch (err) {
    await Promise.all(apps.map((app) => app.stop()));
    await client.close();
    throw err;
  }
  return {
    apps,
    db,
    stop: async () => {
      await Promise.all(apps.map((app) => app.stop()));
      await client.close();
    },
  };
}
