import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/paths';
import { isAtLeast, requiredNode } from '../../src/runtime';
import { openStores } from '../../src/store/stores';
import { anEvent } from '../helpers/builders';
import { freePort } from '../helpers/freePort';
import { post } from '../helpers/http';
import { aPartner } from '../helpers/partners';
import { dbNameFor, testDatabaseUri } from '../helpers/testApp';
import { sleep } from '../helpers/time';

async function createPartner(dbName: string, name: string): Promise<string> {
  const stores = await openStores({ uri: testDatabaseUri(), dbName, timeoutMs: 2000 });
  try {
    return (await aPartner(stores.partners, { name })).apiKey;
  } finally {
    await stores.close();
  }
}

async function partnerNames(dbName: string): Promise<string[]> {
  const stores = await openStores({ uri: testDatabaseUri(), dbName, timeoutMs: 2000 });
  try {
    return (await stores.partners.list()).map((p) => p.name);
  } finally {
    await stores.close();
  }
}

// The built entry point (npm test builds before jest runs), exactly as `npm start` runs it.
const SERVER = join(PROJECT_ROOT, 'dist', 'src', 'server.js');

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [SERVER], { env: { PATH: process.env.PATH ?? '', SUPPORT_EMAIL: 'support@example.test', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, exited, out: () => stdout, err: () => stderr };
}

async function waitFor(predicate: () => boolean, child: ChildProcessWithoutNullStreams, ms: number, output: () => string = () => '') {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`condition not reached (exit code ${child.exitCode}); the process wrote:\n${output().slice(-2000)}`);
    }
    await sleep(50);
  }
}

describe('the server entry point', () => {
  test('when started on the local database with no partner, then it creates "local" and prints its key once, on the console only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'appointment-webhooks-local-'));
    const env = { PORT: String(await freePort()), LOCAL_DB_PORT: String(await freePort()), LOCAL_DB_DIR: dir };
    try {
      const first = run(env);
      await waitFor(() => /apptwh_[A-Za-z0-9_-]{43}/.test(first.err()), first.child, 30000, () => first.out() + first.err());
      const apiKey = /apptwh_[A-Za-z0-9_-]{43}/.exec(first.err())![0];
      expect(first.out()).toContain('"local":true');
      expect(first.out()).not.toContain(apiKey);

      const res = await post(`http://127.0.0.1:${env.PORT}/webhook/appointment`, anEvent(), { Authorization: `Bearer ${apiKey}` });
      expect(res.status).toBe(201);
      first.child.kill('SIGINT');
      expect((await first.exited)[0]).toBe(0);

      const second = run(env);
      await waitFor(() => second.out().includes('"msg":"listening"'), second.child, 30000, () => second.out() + second.err());
      await sleep(300);
      second.child.kill('SIGTERM');
      expect((await second.exited)[0]).toBe(0);
      expect(second.err()).not.toContain('apptwh_');
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
    const server = run({ MONGODB_URI: 'mongodb://127.0.0.1:1/', [name]: value });
    const [code] = await server.exited;
    expect(code).toBe(2);
    expect(server.err()).toContain(name);
  });

  test('when started on a Node.js older than the engines field requires, then it refuses with exit code 2 and names the version it needs', async () => {
    // The runtime reports an old version before the entry point runs.
    const old = spawn(process.execPath, ['-e', `Object.defineProperty(process.versions, 'node', { value: '20.20.2' }); require(${JSON.stringify(SERVER)})`]);
    let stderr = '';
    old.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(old, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toContain(`needs Node.js ${requiredNode()} or later`);
  });

  test('when the database cannot be reached, then start-up fails with exit code 1 instead of serving', async () => {
    const server = run({ MONGODB_URI: `mongodb://127.0.0.1:${await freePort()}/`, PORT: '0', DB_TIMEOUT_MS: '500' });
    const [code] = await server.exited;
    expect(code).toBe(1);
    expect(server.out()).toContain('start-up failed');
  });

  test('when started with MONGODB_URI, then it serves, and on SIGTERM it stops cleanly with exit code 0', async () => {
    const port = await freePort();
    const dbName = dbNameFor(__filename);
    const server = run({ MONGODB_URI: testDatabaseUri(), MONGODB_DB: dbName, PORT: String(port) });
    await waitFor(() => server.out().includes('"msg":"listening"'), server.child, 15000);
    // It runs on the runtime the project installs and requires, as every child of the tests does.
    const listening = JSON.parse(server.out().split('\n').find((line) => line.includes('"msg":"listening"'))!);
    expect(listening.node).toBe(process.version);
    expect(isAtLeast(listening.node.slice(1), requiredNode())).toBe(true);
    const apiKey = await createPartner(dbName, 'entry-test');

    const res = await post(`http://127.0.0.1:${port}/webhook/appointment`, anEvent(), { Authorization: `Bearer ${apiKey}` });
    expect(res.status).toBe(201);

    server.child.kill('SIGTERM');
    const [code] = await server.exited;
    expect(code).toBe(0);
    expect(server.out()).toContain('"msg":"stopped"');
    expect(server.out()).not.toContain('"local":true');
    // MONGODB_URI is set: no "local" partner is ever created.
    expect(server.err()).not.toContain('apptwh_');
    expect(await partnerNames(dbName)).toEqual(['entry-test']);
  });
});
