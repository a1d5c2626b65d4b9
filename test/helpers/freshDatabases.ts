import { MongoClient, type Db } from 'mongodb';
import { dbNameFor, testDatabaseUri } from './testApp';

/** For one test file: a client connected around its tests, and a database of its own at each call. */
export function freshDatabases(file: string): { client: () => MongoClient; freshDb: () => Db } {
  let client: MongoClient | undefined;
  let made = 0;
  beforeAll(async () => {
    client = await MongoClient.connect(testDatabaseUri());
  });
  afterAll(() => client?.close());
  const connected = (): MongoClient => {
    if (!client) throw new Error('freshDatabases: used outside a test');
    return client;
  };
  return { client: connected, freshDb: () => connected().db(`${dbNameFor(file)}_${++made}`) };
}
