import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFerretDb, type LocalDatabase } from '../../src/localdb/ferretdb';
import { freePort } from './freePort';

declare global {
  var testDatabase: { db: LocalDatabase; dir: string } | undefined;
}

/** One real database for the whole run, on a free port; each test file uses its own database name. */
export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'appointment-webhooks-test-'));
  const db = await startFerretDb({ dataDir: dir, port: await freePort() });
  globalThis.testDatabase = { db, dir };
  process.env.TEST_MONGODB_URI = db.uri;
}
