import { MongoClient } from 'mongodb';
import { EVENTS_COLLECTION } from '../../src/store/eventStore';
import { anEvent } from '../helpers/builders';
import { startBuiltServer, stopBuiltServers } from '../helpers/builtServer';
import { freePort } from '../helpers/freePort';
import { post } from '../helpers/http';
import { startOwnDatabase, type OwnDatabase } from '../helpers/ownDatabase';
import { registerOnDatabase } from '../helpers/partners';
import { dbNameFor } from '../helpers/testApp';
import { sleep } from '../helpers/time';

// This file freezes its database, so it runs one of its own.
let db: OwnDatabase;
beforeAll(async () => {
  db = await startOwnDatabase('shutdown');
});
afterEach(() => stopBuiltServers());
afterAll(() => db.remove());

async function startServer(dbName: string, env: Record<string, string> = {}) {
  const { auth } = await registerOnDatabase(db.uri, dbName);
  const server = await startBuiltServer({ PORT: String(await freePort()), MONGODB_URI: db.uri, MONGODB_DB: dbName, ...env });
  const url = `${server.url}/webhook/appointment`;
  return { url, stop: server.stop, send: (event: Record<string, unknown>) => post(url, event, auth) };
}

async function storedAppointments(dbName: string): Promise<string[]> {
  const client = await MongoClient.connect(db.uri);
  try {
    return (await client.db(dbName).collection(EVENTS_COLLECTION).distinct('appointment_id')).sort();
  } finally {
    await client.close();
  }
}

describe('graceful shutdown', () => {
  test('when SIGTERM arrives with requests in flight, then they finish with 201 and are stored, new connections are refused, and the process exits 0', async () => {
    const dbName = dbNameFor(`${__filename}-drain`);
    const server = await startServer(dbName);
    expect((await server.send(anEvent({ appointment_id: 'warm-up' }))).status).toBe(201);

    process.kill(db.pid, 'SIGSTOP');
    const inFlight = Array.from({ length: 5 }, (_, i) => server.send(anEvent({ appointment_id: `in-flight-${i}` })));
    await sleep(300);
    const signalled = Date.now();
    const stopped = server.stop('SIGTERM');
    await sleep(300);
    await expect(post(server.url, anEvent())).rejects.toThrow();
    process.kill(db.pid, 'SIGCONT');

    const replies = await Promise.all(inFlight);
    const { code } = await stopped;
    expect(replies.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(code).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(10000);
    expect(await storedAppointments(dbName)).toEqual(['in-flight-0', 'in-flight-1', 'in-flight-2', 'in-flight-3', 'in-flight-4', 'warm-up']);
  });

  test('when requests cannot finish within SHUTDOWN_TIMEOUT_MS, then the process still exits 0 within it, and no request got a 201 for an event not stored', async () => {
    const dbName = dbNameFor(`${__filename}-bound`);
    const server = await startServer(dbName, { SHUTDOWN_TIMEOUT_MS: '2000', DB_TIMEOUT_MS: '8000' });
    expect((await server.send(anEvent({ appointment_id: 'warm-up' }))).status).toBe(201);

    process.kill(db.pid, 'SIGSTOP');
    let code: number | null;
    let elapsed: number;
    let outcomes: PromiseSettledResult<{ status: number; body: any }>[];
    try {
      const stuck = Array.from({ length: 3 }, (_, i) => server.send(anEvent({ appointment_id: `stuck-${i}` })));
      await sleep(200);
      const signalled = Date.now();
      ({ code } = await server.stop('SIGTERM'));
      elapsed = Date.now() - signalled;
      outcomes = await Promise.allSettled(stuck);
    } finally {
      process.kill(db.pid, 'SIGCONT');
    }

    expect(code).toBe(0);
    expect(elapsed).toBeLessThan(2500);
    const stored = await storedAppointments(dbName);
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome.status === 'fulfilled' && outcome.value.status === 201) expect(stored).toContain(`stuck-${i}`);
    }
    expect(outcomes.filter((o) => o.status === 'fulfilled' && o.value.status === 201)).toHaveLength(0);
  });
});
