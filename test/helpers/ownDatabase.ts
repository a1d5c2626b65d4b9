import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFerretDb, type LocalDatabase } from '../../src/localdb/ferretdb';
import { freePort } from './freePort';

/**
 * A local database in a folder of its own: the one every test file shares (globalSetup), and
 * one of a file's own for tests that stop, freeze or kill it. It keeps its folder and port across
 * restarts, so `uri` holds.
 */
export interface OwnDatabase {
  readonly uri: string;
  /** The running server process, for SIGSTOP/SIGCONT. */
  readonly pid: number;
  /** SIGKILL. */
  kill(): Promise<void>;
  /** Starts it again on the same data and port. */
  restart(): Promise<void>;
  /** Stops it and deletes its data. */
  remove(): Promise<void>;
}

export async function startOwnDatabase(name: string): Promise<OwnDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), `appointment-webhooks-${name}-`));
  const port = await freePort();
  let db: LocalDatabase = await startFerretDb({ dataDir, port });
  return {
    uri: db.uri,
    get pid() {
      return db.pid;
    },
    kill: () => db.kill(),
    restart: async () => {
      db = await startFerretDb({ dataDir, port });
    },
    remove: async () => {
      await db.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
