import { MongoClient } from 'mongodb';
import { EVENTS_COLLECTION } from '../../src/store/eventStore';
import { anEvent } from '../helpers/builders';
import { startBuiltServer, stopBuiltServers, type BuiltServer } from '../helpers/builtServer';
import { freePort } from '../helpers/freePort';
import { startOwnDatabase, type OwnDatabase } from '../helpers/ownDatabase';
import { registerOnDatabase } from '../helpers/partners';
import { deliverAll, type Delivery, type DeliveryStats, type Receiver } from '../helpers/retryingClient';
import { dbNameFor, startTestApp } from '../helpers/testApp';
import { sleep } from '../helpers/time';

// Bounded: N events, at most 40 attempts each, and a deadline; everything it starts, it stops.
const N = 2000;
const CONCURRENCY = 32;

let db: OwnDatabase;
beforeAll(async () => {
  db = await startOwnDatabase('faults');
});
afterEach(() => stopBuiltServers());
afterAll(() => db.remove());

function deliveries(run: string): Delivery[] {
  return Array.from({ length: N }, (_, i) => ({
    key: `${run}-key-${i}`,
    body: anEvent({ appointment_id: `${run}-${i}` }) as Delivery['body'],
  }));
}

/** What the database holds after the run, against what the client was told. */
async function audit(dbName: string, stats: DeliveryStats) {
  const client = await MongoClient.connect(db.uri);
  try {
    const docs = await client.db(dbName).collection(EVENTS_COLLECTION).find({}, { projection: { appointment_id: 1, event_id: 1 } }).toArray();
    const byAppointment = new Map(docs.map((d) => [d.appointment_id as string, d.event_id as number]));
    const lost = [...stats.acks].filter(([appointment, eventId]) => byAppointment.get(appointment) !== eventId).length;
    const duplicated = docs.length - byAppointment.size;
    const uniqueIds = new Set(docs.map((d) => d.event_id as number)).size;
    console.log(
      `${dbName}: sent ${stats.sent}, acknowledged ${stats.acknowledged}, retried ${stats.retried}, ` +
        `replayed ${stats.replayed}, gave up ${stats.gaveUp}, lost ${lost}, duplicated ${duplicated}, stored ${docs.length}`,
    );
    return { stored: docs.length, lost, duplicated, uniqueIds };
  } finally {
    await client.close();
  }
}

/**
 * Delivers N events with the retrying client, injects `fault` once a quarter of them are
 * acknowledged, and checks the outcome: every event acknowledged, stored once, none lost.
 */
async function deliverThrough(fault: () => Promise<void>, run: string, dbName: string, receiver: Receiver) {
  let faulted: Promise<void> | undefined;
  const stats = await deliverAll(receiver, deliveries(run), {
    concurrency: CONCURRENCY,
    maxAttempts: 40,
    deadline: Date.now() + 100000,
    onAck: (progress) => {
      if (!faulted && progress.acknowledged >= N / 4) faulted = fault();
    },
  });
  await faulted;

  expect(faulted).toBeDefined();
  expect(stats.unexpected).toEqual([]);
  expect(stats.acknowledged).toBe(N);
  expect(stats.retried).toBeGreaterThan(0);
  expect(await audit(dbName, stats)).toEqual({ stored: N, lost: 0, duplicated: 0, uniqueIds: N });
}

describe('fault injection', () => {
  test(`when the database is SIGKILLed and restarted while ${N} events are being delivered, then no acknowledged event is lost and none is stored twice`, async () => {
    const dbName = dbNameFor(`${__filename}-db-kill`);
    const app = await startTestApp({ dbName, uri: db.uri, config: { retryAfterSeconds: 1, dbTimeoutMs: 1000 } });
    try {
      const killDatabase = async () => {
        await db.kill();
        await sleep(1500);
        await db.restart();
      };
      await deliverThrough(killDatabase, 'dbkill', dbName, { baseUrl: () => app.url, apiKey: app.apiKey });
    } finally {
      await app.stop();
    }
  }, 120000);

  test(`when the service is SIGKILLed and restarted while ${N} events are being delivered, then no acknowledged event is lost and none is stored twice`, async () => {
    const dbName = dbNameFor(`${__filename}-service-kill`);
    // This partner is a fast sender: a limit that lets it through keeps the test about faults, not throttling.
    const { apiKey } = await registerOnDatabase(db.uri, dbName, { ratePerSecond: 100000 });

    // At warn the "listening" line is not written, so readiness is seen on /healthz.
    const env = { PORT: String(await freePort()), MONGODB_URI: db.uri, MONGODB_DB: dbName, RETRY_AFTER_SECONDS: '1', LOG_LEVEL: 'warn' };
    const startServer = () => startBuiltServer(env, { readyBy: 'healthz', timeoutMs: 10_000 });
    let server: BuiltServer = await startServer();
    try {
      const killService = async () => {
        await server.stop('SIGKILL');
        await sleep(500);
        server = await startServer();
      };
      await deliverThrough(killService, 'svckill', dbName, { baseUrl: () => server.url, apiKey });
    } finally {
      await server.stop('SIGTERM');
    }
  }, 120000);
});
