import { MongoClient, type Db } from 'mongodb';
import { openStores, type Stores } from '../../src/store/stores';
import { dbNameFor, testDatabaseUri } from './testApp';

/**
 * The stores of a database of the test file's own, without the app, opened before its tests and
 * dropped after them; `db` is a separate client's view of the same database, for asserting what
 * was written.
 */
export function storesOnly(file: string): { stores: () => Stores; db: () => Db } {
  let stores: Stores | undefined;
  let client: MongoClient | undefined;
  beforeAll(async () => {
    stores = await openStores({ uri: testDatabaseUri(), dbName: dbNameFor(file), timeoutMs: 5000 });
    client = await MongoClient.connect(testDatabaseUri());
  });
  afterAll(async () => {
    await client?.db(dbNameFor(file)).dropDatabase();
    await client?.close();
    await stores?.close();
  });
  const opened = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the stores are opened in beforeAll');
    return value;
  };
  return { stores: () => opened(stores), db: () => opened(client).db(dbNameFor(file)) };
}
