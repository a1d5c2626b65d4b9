import { MongoClient, type Db } from 'mongodb';
import { toAppError } from './dbErrors';
import { WaitBudget } from './waitBudget';

export interface Database {
  db: Db;
  /** True for the local database (FerretDB), which uses no index to answer a query. */
  scansOnly: boolean;
  /** Resolves when the database answers a ping within the timeout; rejects with an AppError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  uri: string;
  dbName: string;
  /** Bound on every wait for the database inside one request. */
  timeoutMs: number;
}

export async function connectDatabase(options: DatabaseOptions): Promise<Database> {
  const client = new MongoClient(options.uri, {
    appName: 'appointment-webhook-receiver',
    serverSelectionTimeoutMS: options.timeoutMs,
    connectTimeoutMS: options.timeoutMs,
    // A database that stops answering on an open socket must not hold the write queue forever.
    socketTimeoutMS: Math.max(15000, options.timeoutMs * 4),
    // An acknowledgement means the write survives a failover and a crash.
    writeConcern: { w: 'majority', journal: true },
  });
  try {
    await client.connect();
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
  const db = client.db(options.dbName);
  const build = await db.admin().command({ buildInfo: 1 });
  return {
    db,
    scansOnly: 'ferretdbVersion' in build,
    ping: () =>
      new WaitBudget(options.timeoutMs).wait(db.command({ ping: 1 })).then(
        () => undefined,
        (err: unknown) => Promise.reject(toAppError(err)),
      ),
    close: () => client.close(),
  };
}
