// Over 200 lines: every outage scenario here stops, freezes or kills the one database this file runs
// for itself, so they share its start-up and teardown rather than each starting a database of its own.
import { generateSigningSecret } from '../../src/auth/credentials';
import { createReceiverClient, type AppointmentEvent } from '../../src/client/receiverClient';
import { anEvent } from '../helpers/builders';
import { post, send, type Reply } from '../helpers/http';
import { Metrics } from '../../src/metrics';
import { allStoredDeliveries } from '../../src/store/deliveryPacks';
import { aConsumer, read } from '../helpers/consumers';
import { aPartner } from '../helpers/partners';
import { startOwnDatabase, type OwnDatabase } from '../helpers/ownDatabase';
import { signedHeaders } from '../helpers/signing';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

// This file stops its database, so it runs one of its own rather than the shared one.
let db: OwnDatabase;
let app: TestApp;
const metrics = new Metrics();
beforeAll(async () => {
  db = await startOwnDatabase('outage');
  app = await startTestApp({ dbName: dbNameFor(__filename), uri: db.uri, metrics });
});
afterAll(async () => {
  await app.stop();
  await db.remove();
});

async function timedPost(tag: string) {
  const started = performance.now();
  const res = await app.post(anEvent({ appointment_id: tag }));
  return { res, ms: performance.now() - started };
}

describe('database outages', () => {
  // Each test compares what is stored with what it was told.
  beforeEach(() => app.clear());

  test('when the database is killed, then requests end within 3 s with 503 and Retry-After, and the service serves again once it is back, without a restart', async () => {
    const before = await timedPost('before');
    expect(before.res.status).toBe(201);

    await db.kill();
    const live = await send(`${app.url}/healthz`, { method: 'GET' });
    expect(live.status).toBe(200);
    const readyStarted = performance.now();
    const ready = await send(`${app.url}/readyz`, { method: 'GET' });
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toBe('5');
    expect(ready.body).toEqual({ status: 'error', message: 'Service temporarily unavailable', errors: [] });
    expect(performance.now() - readyStarted).toBeLessThan(3000);
    const during = [];
    for (let i = 0; i < 4; i++) during.push(await timedPost(`during-${i}`));
    for (const { res, ms } of during) {
      expect(res.status).toBe(503);
      expect(ms).toBeLessThan(3000);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.body).toEqual({ status: 'error', message: 'Service temporarily unavailable', errors: [] });
    }

    await db.restart();
    const acked: string[] = ['before'];
    let recovered = false;
    for (let i = 0; i < 20 && !recovered; i++) {
      const { res, ms } = await timedPost(`after-${i}`);
      expect(ms).toBeLessThan(3000);
      expect([201, 503]).toContain(res.status);
      if (res.status === 201) {
        acked.push(`after-${i}`);
        recovered = true;
      }
    }
    expect(recovered).toBe(true);
    expect((await send(`${app.url}/readyz`, { method: 'GET' })).status).toBe(200);

    // Every 201 is stored; nothing answered 503 was.
    const stored = await app.events.distinct('appointment_id');
    expect(stored.sort()).toEqual(acked.sort());
  });

  test('when the database is down, then delivery records are dropped and counted, and once it is back they are written again', async () => {
    expect((await timedPost('log-before')).res.status).toBe(201);
    await app.stores.deliveryLog!.flush();
    const dropped = async () => (await metrics.registry.getSingleMetric('webhook_delivery_log_dropped_total')!.get()).values[0]?.value ?? 0;
    const droppedBefore = await dropped();

    await db.kill();
    const during: string[] = [];
    try {
      for (let i = 0; i < 3; i++) during.push((await timedPost(`log-during-${i}`)).res.headers.get('x-request-id')!);
      await app.stores.deliveryLog!.flush();
    } finally {
      await db.restart();
    }
    expect((await dropped()) - droppedBefore).toBe(3);

    let after: Reply | undefined;
    for (let i = 0; i < 20 && after?.status !== 201; i++) after = (await timedPost(`log-after-${i}`)).res;
    await app.stores.deliveryLog!.flush();
    const records = (await allStoredDeliveries(app.db)).map((r) => r.request_id);
    expect(records).toContain(after!.headers.get('x-request-id'));
    expect(records.filter((id) => during.includes(id))).toEqual([]);
  });

  test('when the database is down and a key is not cached yet, then 503 rather than 401', async () => {
    const { auth } = await aPartner(app.partners);
    await db.kill();
    try {
      const started = performance.now();
      const res = await post(app.endpoint, anEvent(), auth);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      await db.restart();
    }
  });

  test('when the database hangs without closing connections, then requests still end within 3 s with 503, and serve again when it resumes', async () => {
    expect((await timedPost('warm-up')).res.status).toBe(201);

    process.kill(db.pid, 'SIGSTOP');
    try {
      const during = await Promise.all([0, 1, 2].map((i) => timedPost(`frozen-${i}`)));
      for (const { res, ms } of during) {
        expect(res.status).toBe(503);
        expect(ms).toBeLessThan(3000);
        expect(res.headers.get('retry-after')).toBe('5');
      }
    } finally {
      process.kill(db.pid, 'SIGCONT');
    }

    let status = 0;
    for (let i = 0; i < 20 && status !== 201; i++) {
      const { res, ms } = await timedPost(`thawed-${i}`);
      expect(ms).toBeLessThan(3000);
      status = res.status;
    }
    expect(status).toBe(201);
  });
});

describe('a frozen database, path by path', () => {
  const TIMEOUT_MS = 1000;
  const OPERATOR_TOKEN = 'operator-token-for-the-outage-test';
  const operator = { Authorization: `Bearer ${OPERATOR_TOKEN}` };
  let bounded: TestApp;
  beforeAll(async () => {
    bounded = await startTestApp({ dbName: `${dbNameFor(__filename)}_bounded`, uri: db.uri, config: { dbTimeoutMs: TIMEOUT_MS, operatorToken: OPERATOR_TOKEN } });
  });
  afterAll(() => bounded.stop());

  async function timed(request: Promise<{ status: number; headers: Headers }>) {
    const started = performance.now();
    const res = await request;
    return { status: res.status, retryAfter: res.headers.get('retry-after'), ms: performance.now() - started };
  }

  test('when the database is frozen, then every request, writes and reads, gets 503 with Retry-After within DB_TIMEOUT_MS + 0.5 s, whatever path it takes', async () => {
    // Set up while the database answers: a key never used (so not remembered), a signing partner
    // never used, a signing partner remembered whose secret then changes, and a stored event.
    const uncached = await aPartner(bounded.partners);
    const signer = await aPartner(bounded.partners, { signing: true });
    const rotated = await aPartner(bounded.partners, { signing: true });
    const warmBody = JSON.stringify(anEvent());
    expect((await post(bounded.endpoint, warmBody, { ...rotated.auth, ...signedHeaders(rotated.secret, warmBody) })).status).toBe(201);
    const newSecret = generateSigningSecret();
    await bounded.partners.rotateSecret(rotated.name, newSecret, new Date(Date.now() + 60_000), new Date());
    // One event stored through this instance (it remembers it), one through another instance.
    const stored = anEvent();
    const storedReply = await bounded.post(stored, { 'Idempotency-Key': 'stored-before-freeze' });
    expect(storedReply.status).toBe(201);
    // A consumer whose token is remembered: its reads then need the database for the events alone.
    const consumer = await aConsumer(bounded.stores.consumers);
    expect((await read(bounded.url, '/events?limit=1', consumer.auth)).status).toBe(200);
    const elsewhere = anEvent();
    const other = await startTestApp({ dbName: `${dbNameFor(__filename)}_bounded`, uri: db.uri });
    try {
      expect((await post(other.endpoint, elsewhere, { ...bounded.auth, 'Idempotency-Key': 'stored-elsewhere' })).status).toBe(201);
    } finally {
      await other.stop();
    }

    process.kill(db.pid, 'SIGSTOP');
    let paths: Record<string, { status: number; retryAfter: string | null; ms: number }>;
    try {
      const signedBody = JSON.stringify(anEvent());
      const rotatedBody = JSON.stringify(anEvent());
      const readPath = (path: string) => timed(read(bounded.url, path, consumer.auth));
      const [uncachedKey, signedPartner, secretReread, replayLookup, newEvent, readiness, fromMemory, ...reads] = await Promise.all([
        timed(post(bounded.endpoint, anEvent(), uncached.auth)),
        timed(post(bounded.endpoint, signedBody, { ...signer.auth, ...signedHeaders(signer.secret, signedBody) })),
        timed(post(bounded.endpoint, rotatedBody, { ...rotated.auth, ...signedHeaders(newSecret, rotatedBody) })),
        timed(bounded.post(elsewhere, { 'Idempotency-Key': 'stored-elsewhere' })),
        timed(bounded.post(anEvent())),
        timed(send(`${bounded.url}/readyz`, { method: 'GET' })),
        timed(bounded.post(stored, { 'Idempotency-Key': 'stored-before-freeze' })),
        readPath('/events'),
        readPath(`/events/${(storedReply.body as { event_id: number }).event_id}`),
        readPath('/feed'),
        readPath(`/appointments/${bounded.partner}/${stored.appointment_id as string}`),
        timed(read(bounded.url, '/webhook/deliveries', bounded.auth)),
        timed(read(bounded.url, `/webhook/events/${(storedReply.body as { event_id: number }).event_id}`, bounded.auth)),
        timed(read(bounded.url, '/webhook/events?idempotency_key=stored-before-freeze', bounded.auth)),
        timed(read(bounded.url, '/operator/summary', operator)),
        timed(read(bounded.url, '/operator/deliveries', operator)),
      ]);
      const [listEvents, getEvent, readFeed, getAppointment, listDeliveries, getPartnerEvent, findPartnerEvent, operatorSummary, operatorDeliveries] = reads;
      paths = { uncachedKey, signedPartner, secretReread, replayLookup, newEvent, readiness, listEvents, getEvent, readFeed, getAppointment, listDeliveries, getPartnerEvent, findPartnerEvent, operatorSummary, operatorDeliveries };
      // A repeat of an event this instance stored needs no database: it is answered from memory.
      expect(fromMemory.status).toBe(201);
    } finally {
      process.kill(db.pid, 'SIGCONT');
    }
    for (const [path, outcome] of Object.entries(paths)) {
      expect({ path, ...outcome }).toMatchObject({ path, status: 503, retryAfter: '5' });
      expect({ path, late: outcome.ms >= TIMEOUT_MS + 500 }).toEqual({ path, late: false });
    }

    // Thawed, the same requests go through again without a restart: a partner's retrying sender gets its 201.
    const sender = createReceiverClient({ baseUrl: bounded.url, apiKey: uncached.apiKey, maxAttempts: 20, baseDelayMs: 250, maxDelayMs: 250 });
    const delivered = await sender.sendEvent(anEvent() as unknown as AppointmentEvent);
    expect(delivered.event.status).toBe('success');
  });
});
