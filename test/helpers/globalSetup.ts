import { startOwnDatabase, type OwnDatabase } from './ownDatabase';

declare global {
  var testDatabase: OwnDatabase | undefined;
}

/** One real database for the whole run, on a free port; each test file uses its own database name. */
export default async function globalSetup(): Promise<void> {
  const db = await startOwnDatabase('test');
  globalThis.testDatabase = db;
  process.env.TEST_MONGODB_URI = db.uri;
}
