import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAtLeast, requiredNode } from '../../src/runtime';
import { anEvent } from '../helpers/builders';
import { runBuiltServer, startBuiltServer, stopBuiltServers } from '../helpers/builtServer';
import { freePort } from '../helpers/freePort';
import { post } from '../helpers/http';
import { registerOnDatabase, withStores } from '../helpers/partners';
import { dbNameFor, testDatabaseUri } from '../helpers/testApp';
import { sleep } from '../helpers/time';

async function partnerNames(dbName: string): Promise<string[]> {
  return withStores(testDatabaseUri(), dbName, async (stores) => (await stores.partners.list()).map((p) => p.name));
}

const KEY = /apptwh_[A-Za-z0-9_-]{43}/;

afterEach(() => stopBuiltServers());

describe('the server entry point', () => {
  test('when started on the local database with no partner, then it creates "local" and prints its key once, on the console only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'appointment-webhooks-local-'));
    const env = { PORT: String(await freePort()), LOCAL_DB_PORT: String(await freePort()), LOCAL_DB_DIR: dir };
    try {
      const first = runBuiltServer(env);
      await first.waitFor(() => KEY.test(first.stderr()), 'the local partner\'s key on the console');
      const apiKey = KEY.exec(first.stderr())![0];
      expect(first.stdout()).toContain('"local":true');
      expect(first.stdout()).not.toContain(apiKey);

      const res = await post(`${first.url}/webhook/appointment`, anEvent(), { Authorization: `Bearer ${apiKey}` });
      expect(res.status).toBe(201);
      expect((await first.stop('SIGINT')).code).toBe(0);

      const second = await startBuiltServer(env);
      await sleep(300);
      expect((await second.stop('SIGTERM')).code).toBe(0);
      expect(second.stderr()).not.toContain('apptwh_');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each([
    ['PORT', 'eighty'],
    ['LOG_LEVEL', 'chatty'],
    ['MONGODB_URI', 'http://db.internal'],
    ['SUPPORT_EMAIL', ''],
  ])('when %s is %p, then it stops at once with exit code 2 and a message naming the variable', async (name, value) => {
    // With a production database, a support address is required: the guide gives it to partners.
    const server = runBuiltServer({ MONGODB_URI: 'mongodb://127.0.0.1:1/', [name]: value });
    expect((await server.exit()).code).toBe(2);
    expect(server.stderr()).toContain(name);
  });

  test('when started on a Node.js older than the engines field requires, then it refuses with exit code 2 and names the version it needs', async () => {
    // The runtime reports an old version before the entry point runs.
    const olderVersion = `data:text/javascript,${encodeURIComponent("Object.defineProperty(process.versions, 'node', { value: '20.20.2' });")}`;
    const old = runBuiltServer({}, { nodeOptions: ['--import', olderVersion] });
    expect((await old.exit()).code).toBe(2);
    expect(old.stderr()).toContain(`needs Node.js ${requiredNode()} or later`);
  });

  test('when the database cannot be reached, then start-up fails with exit code 1 instead of serving', async () => {
    const server = runBuiltServer({ MONGODB_URI: `mongodb://127.0.0.1:${await freePort()}/`, PORT: '0', DB_TIMEOUT_MS: '500' });
    expect((await server.exit()).code).toBe(1);
    expect(server.stdout()).toContain('start-up failed');
  });

  test('when started with MONGODB_URI, then it serves, and on SIGTERM it stops cleanly with exit code 0', async () => {
    const dbName = dbNameFor(__filename);
    const server = await startBuiltServer({ MONGODB_URI: testDatabaseUri(), MONGODB_DB: dbName, PORT: String(await freePort()) });
    // It runs on the runtime the project installs and requires, as every child of the tests does.
    const listening = server.logs().find((line) => line.msg === 'listening')!;
    expect(listening.node).toBe(process.version);
    expect(isAtLeast(String(listening.node).slice(1), requiredNode())).toBe(true);
    const { apiKey } = await registerOnDatabase(testDatabaseUri(), dbName, { name: 'entry-test' });

    const res = await post(`${server.url}/webhook/appointment`, anEvent(), { Authorization: `Bearer ${apiKey}` });
    expect(res.status).toBe(201);

    expect((await server.stop('SIGTERM')).code).toBe(0);
    expect(server.stdout()).toContain('"msg":"stopped"');
    expect(server.stdout()).not.toContain('"local":true');
    // MONGODB_URI is set: no "local" partner is ever created.
    expect(server.stderr()).not.toContain('apptwh_');
    expect(await partnerNames(dbName)).toEqual(['entry-test']);
  });
});
