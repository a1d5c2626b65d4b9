import { Agent, request } from 'node:http';
import { anEvent } from '../helpers/builders';
import { startOwnDatabase, type OwnDatabase } from '../helpers/ownDatabase';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

// This file freezes its database, so it runs one of its own.
const TIMEOUT_MS = 1000;
const QUEUE_MAX = 200;
const REQUESTS = 2000;
let db: OwnDatabase;
let app: TestApp;
beforeAll(async () => {
  db = await startOwnDatabase('queue');
  app = await startTestApp({ dbName: dbNameFor(__filename), uri: db.uri, config: { dbTimeoutMs: TIMEOUT_MS, writeQueueMax: QUEUE_MAX, writeBatchMax: 50 } });
});
afterAll(async () => {
  await app.stop();
  await db.remove();
});

/** POSTs on a connection of its own, so all requests are in flight at once. */
function postRaw(agent: Agent, body: string): Promise<{ status: number; body: string }> {
  const target = new URL(app.endpoint);
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { ...app.auth, 'Content-Type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('the write queue under a frozen database', () => {
  test(`when ${REQUESTS} events arrive and the database freezes among them, then the queue stays within its bound, every request is answered within DB_TIMEOUT_MS + 0.5 s, and every 201 is stored`, async () => {
    expect((await app.post(anEvent())).status).toBe(201);
    app.logs.length = 0;
    const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
    const events = Array.from({ length: REQUESTS }, (_, i) => anEvent({ appointment_id: `flood-${i}` }));

    // The database freezes once the first 20 events are acknowledged: writes are in flight then.
    let acknowledged = 0;
    let frozen = false;
    let replies: { status: number; body: string }[];
    try {
      replies = await Promise.all(
        events.map(async (event) => {
          const reply = await postRaw(agent, JSON.stringify(event));
          if (reply.status === 201 && ++acknowledged === 20) {
            process.kill(db.pid, 'SIGSTOP');
            frozen = true;
          }
          return reply;
        }),
      );
    } finally {
      if (frozen) process.kill(db.pid, 'SIGCONT');
      agent.destroy();
    }
    expect(frozen).toBe(true);

    const statuses = replies.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 503)).toBe(true);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(20);
    // Many were turned away at once by the full queue, which never passed its bound.
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(REQUESTS / 2);
    expect(app.stores.events.queueStats().peak).toBe(QUEUE_MAX);

    // Time from each request's arrival to its answer, as the service logged it.
    const lines = app.logs.map((line) => JSON.parse(line) as { operation?: string; ms?: number });
    const answered = lines.filter((l) => l.operation === 'receiveAppointmentEvent');
    expect(answered).toHaveLength(REQUESTS);
    expect(Math.max(...answered.map((l) => l.ms!))).toBeLessThan(TIMEOUT_MS + 500);

    // Thawed: every 201 is stored, under its own event_id. (A write sent before the freeze may
    // land after its 503: the guide says a 503 is unconfirmed, and its retry is a replay.)
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    for (const [i, reply] of replies.entries()) {
      if (reply.status !== 201) continue;
      const stored = await app.events.findOne({ event_id: JSON.parse(reply.body).event_id });
      expect(stored?.appointment_id).toBe(`flood-${i}`);
    }
  }, 60_000);
});
