import { MongoClient, type Db } from 'mongodb';
import { AppError } from '../errors';
import { toAppError } from './dbErrors';

export interface Database {
  db: Db;
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
  return {
    db,
    ping: () => withDeadline(db.command({ ping: 1 }), options.timeoutMs).then(() => undefined, (err: unknown) => Promise.reject(toAppError(err))),
    close: () => client.close(),
  };
}

/** Rejects when `promise` has not settled after `ms` (the operation itself goes on). */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppError('database_unavailable')), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
