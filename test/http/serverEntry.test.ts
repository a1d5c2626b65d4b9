import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/paths';
import { anEvent } from '../helpers/builders';
import { freePort } from '../helpers/freePort';
import { post } from '../helpers/http';
import { dbNameFor, testDatabaseUri } from '../helpers/testApp';

// The built entry point (npm test builds before jest runs), exactly as `npm start` runs it.
const SERVER = join(PROJECT_ROOT, 'dist', 'src', 'server.js');

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [SERVER], { env: { PATH: process.env.PATH ?? '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, exited, out: () => stdout, err: () => stderr };
}

async function waitFor(predicate: () => boolean, child: ChildProcessWithoutNullStreams, ms: number) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the server entry point', () => {
  test.each([
    ['PORT', 'eighty'],
    ['LOG_LEVEL', 'chatty'],
    ['MONGODB_URI', 'http://db.internal'],
  ])('when %s is %p, then it stops at once with exit code 2 and a message naming the variable', async (name, value) => {
    const server = run({ [name]: value });
    const [code] = await server.exited;
    expect(code).toBe(2);
    expect(server.err()).toContain(name);
  });

  test('when the database cannot be reached, then start-up fails with exit code 1 instead of serving', async () => {
    const server = run({ MONGODB_URI: `mongodb://127.0.0.1:${await freePort()}/`, PORT: '0', DB_TIMEOUT_MS: '500' });
    const [code] = await server.exited;
    expect(code).toBe(1);
    expect(server.out()).toContain('start-up failed');
  });

  test('when started with MONGODB_URI, then it serves, and on SIGTERM it stops cleanly with exit code 0', async () => {
    const port = await freePort();
    const server = run({ MONGODB_URI: testDatabaseUri(), MONGODB_DB: dbNameFor(__filename), PORT: String(port) });
    await waitFor(() => server.out().includes('"msg":"listening"'), server.child, 15000);

    const res = await post(`http://127.0.0.1:${port}/webhook/appointment`, anEvent());
    expect(res.status).toBe(201);

    server.child.kill('SIGTERM');
    const [code] = await server.exited;
    expect(code).toBe(0);
    expect(server.out()).toContain('"msg":"stopped"');
    expect(server.out()).not.toContain('"local":true');
  });
});
