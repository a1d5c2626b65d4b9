import { connect } from 'node:net';
import type { Document } from 'mongodb';
import { DELIVERIES_COLLECTION, DELIVERY_STATS_COLLECTION, DeliveryLog } from '../../src/store/deliveryLog';
import { fromDeliveryDocument, type DeliveryRecord } from '../../src/store/deliveryDocument';
import { allStoredDeliveries, DELIVERY_PACKS_COLLECTION } from '../../src/store/deliveryPacks';
import { anEvent, without } from '../helpers/builders';
import { post } from '../helpers/http';
import { aPartner } from '../helpers/partners';
import { signedHeaders } from '../helpers/signing';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';
import { sleep } from '../helpers/time';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename) });
});
afterAll(() => app.stop());

const deliveries = () => app.db.collection<{ _id: string } & Document>(DELIVERIES_COLLECTION);

/** What the log holds once everything recorded so far is written, oldest first, as whole records. */
async function logged(keep: (record: DeliveryRecord) => boolean = () => true) {
  await app.stores.deliveryLog!.flush();
  return (await allStoredDeliveries(app.db)).map(fromDeliveryDocument).filter(keep);
}

describe('the delivery log', () => {
  beforeEach(async () => {
    await app.clear();
    await app.stores.deliveryLog!.flush();
    await deliveries().deleteMany({});
    await app.db.collection(DELIVERY_PACKS_COLLECTION).deleteMany({});
    await app.db.collection(DELIVERY_STATS_COLLECTION).deleteMany({});
  });

  test('when a partner delivers, repeats, and sends an invalid event, then each request leaves one record with its outcome and nothing it sent', async () => {
    const event = anEvent({ appointment_id: 'APPT-SECRET-1', patient_id: 'PAT-SECRET-1', notes: 'NOTE-SECRET-1' });
    const first = await app.post(event, { 'Idempotency-Key': 'KEY-SECRET-1' });
    const again = await app.post(event, { 'Idempotency-Key': 'KEY-SECRET-1' });
    const invalid = await app.post(without(anEvent({ appointment_id: 'APPT-SECRET-2' }), 'patient_id'));
    expect([first.status, again.status, invalid.status]).toEqual([201, 201, 422]);

    const records = await logged((r) => r.partner === app.partner);
    expect(records.map((r) => r.request_id)).toEqual([first, again, invalid].map((r) => r.headers.get('x-request-id')));
    expect(records[0]).toMatchObject({ status: 201, replayed: false, event_id: first.body.event_id, idempotency: 'idempotency-key', mode: 'live', errors: [], client_address: null, operation: 'receiveAppointmentEvent' });
    expect(records[1]).toMatchObject({ status: 201, replayed: true, event_id: first.body.event_id, idempotency: 'idempotency-key' });
    expect(records[2]).toMatchObject({ status: 422, replayed: false, event_id: null, errors: [{ loc: ['body', 'patient_id'], type: 'value_error.missing' }] });
    for (const record of records) {
      expect(record.latency_ms).toBeGreaterThan(0);
      expect(Math.abs(record.received_at.getTime() - Date.now())).toBeLessThan(60_000);
      // Nothing sent ends up in the log: no identifier, note, key or idempotency key.
      const text = JSON.stringify(record);
      for (const secret of ['SECRET', app.apiKey, app.apiKey.slice(7)]) expect(text).not.toContain(secret);
    }
    // What is stored is that and nothing more: no field beyond the record's.
    const stored = (await allStoredDeliveries(app.db)).filter((d) => d.partner === app.partner);
    const fields = ['_id', 'client_address', 'errors', 'event_id', 'idempotency', 'latency_ms', 'mode', 'operation', 'partner', 'received_at', 'replayed', 'request_id', 'status'];
    for (const doc of stored) expect(Object.keys(doc).filter((k) => !fields.includes(k))).toEqual([]);
  });

  test('when a request carries no valid key, then its record names no partner and keeps the client address instead', async () => {
    const res = await post(app.endpoint, anEvent(), { Authorization: 'Bearer apptwh_' + 'x'.repeat(43) });
    expect(res.status).toBe(401);
    const [record] = await logged((r) => r.request_id === res.headers.get('x-request-id'));
    expect(record).toMatchObject({ partner: null, mode: null, client_address: '127.0.0.1', status: 401, errors: [{ loc: ['header', 'authorization'], type: 'auth_error.invalid_key' }] });
  });

  test('when one address sends many requests without a valid key, then a few are kept as records and every one is counted', async () => {
    const sent = 40;
    await Promise.all(Array.from({ length: sent }, () => post(app.endpoint, anEvent(), { Authorization: 'Bearer apptwh_' + 'y'.repeat(43) })));
    const kept = await logged((r) => r.partner === null);
    // The address's budget is 10 at once (other tests here spend from it too), refilled at one a second.
    expect(kept.length).toBeGreaterThanOrEqual(5);
    expect(kept.length).toBeLessThan(sent / 2);
    const steps = await app.db.collection(DELIVERY_STATS_COLLECTION).find({ partner: null }).toArray();
    expect(steps.reduce((n, s) => n + ((s.refused as number | undefined) ?? 0), 0)).toBe(sent);
  });

  test('when a signing partner sends a bad signature, then the refusal is recorded under that partner', async () => {
    const signer = await aPartner(app.partners, { signing: true });
    const body = JSON.stringify(anEvent());
    const headers = { ...signer.auth, ...signedHeaders(signer.secret, body), 'webhook-signature': 'v1,' + Buffer.alloc(32).toString('base64') };
    const res = await post(app.endpoint, body, headers);
    expect(res.status).toBe(401);
    const [record] = await logged((r) => r.request_id === res.headers.get('x-request-id'));
    expect(record).toMatchObject({ partner: signer.name, mode: 'live', client_address: null, errors: [{ loc: ['header', 'webhook-signature'], type: 'auth_error.signature_mismatch' }] });
  });

  test('when a client leaves before its body is sent, then the request is still recorded, with the status it was given', async () => {
    const target = new URL(app.endpoint);
    const socket = connect({ host: target.hostname, port: Number(target.port) });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`POST ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nAuthorization: ${app.auth.Authorization}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"event_`);
    await sleep(200);
    socket.destroy();
    let records: Document[] = [];
    for (let i = 0; i < 50 && records.length === 0; i++) {
      await sleep(50);
      records = await logged((r) => r.partner === app.partner);
    }
    expect(records).toHaveLength(1);
    expect(records[0]!.status).toBeGreaterThanOrEqual(400);
    expect(records[0]!.event_id).toBeNull();
  });

  test('when requests go to routes that do not receive events, then they leave no record', async () => {
    await fetch(`${app.url}/healthz`);
    await fetch(`${app.url}/webhook/deliveries`, { headers: app.auth });
    await fetch(`${app.url}/nowhere`, { method: 'POST' });
    expect(await logged()).toEqual([]);
  });

  test('when records are written, then the per-step counts add up to them, refusals by error type', async () => {
    await app.post(anEvent());
    await app.post(without(anEvent(), 'patient_id', 'appointment_id'));
    await app.post(anEvent({ event_type: 'appointment.unknown' }));
    await logged();
    const steps = await app.db.collection(DELIVERY_STATS_COLLECTION).find({ partner: app.partner }).toArray();
    const sum = (field: string) => steps.reduce((n, s) => n + ((s[field] as number | undefined) ?? 0), 0);
    expect({ accepted: sum('accepted'), refused: sum('refused') }).toEqual({ accepted: 1, refused: 2 });
    const types: Record<string, number> = {};
    for (const s of steps) for (const [t, n] of Object.entries((s.types ?? {}) as Record<string, number>)) types[t] = (types[t] ?? 0) + n;
    // One refusal carried two missing fields: it counts once for its type.
    expect(types['value_error~missing']).toBe(1);
    expect(Object.values(types).reduce((a, b) => a + b, 0)).toBe(2);
  });
});

describe('the delivery log writer', () => {
  test('when more records wait than it holds, then the newest are dropped and counted, and the rest are written', async () => {
    let dropped = 0;
    const log = new DeliveryLog(app.db, { maxPending: 2, onDropped: (n) => (dropped += n), onError: () => undefined });
    const at = new Date();
    const record = (n: number) => ({ request_id: `00000000-0000-4000-8000-00000000010${n}`, received_at: at, operation: 'receiveAppointmentEvent' as const, partner: 'overflow', mode: 'live' as const, client_address: null, status: 201, errors: [], idempotency: null, event_id: n, replayed: false, latency_ms: 1 });
    for (let n = 1; n <= 3; n++) log.record(record(n));
    expect(dropped).toBe(1);
    await log.flush();
    const overflow = async () => (await allStoredDeliveries(app.db)).filter((d) => d.partner === 'overflow');
    expect((await overflow()).map((d) => d.event_id)).toEqual([1, 2]);
    // Written twice (a flush retried after an unclear failure): still one record each.
    log.record(record(1));
    await log.flush();
    expect(await overflow()).toHaveLength(2);
    expect(dropped).toBe(1);
  });
});

describe('the delivery log writer under steady traffic', () => {
  test('when records arrive while a write is under way, then they wait for the next write instead of starting one each', async () => {
    const log = new DeliveryLog(app.db, { packed: true, onDropped: () => undefined, onError: () => undefined });
    const at = new Date();
    const record = (n: number) => ({ request_id: `00000000-0000-4000-8000-0000000002${String(n).padStart(2, '0')}`, received_at: at, operation: 'receiveAppointmentEvent' as const, partner: 'steady', mode: 'live' as const, client_address: null, status: 201, errors: [], idempotency: null, event_id: n, replayed: false, latency_ms: 1 });
    const packs = app.db.collection(DELIVERY_PACKS_COLLECTION), before = await packs.countDocuments({});
    for (let n = 1; n <= 10; n++) log.record(record(n));
    const first = log.flush(); // the rest arrive while its write is in flight, as requests do under load
    for (let n = 11; n <= 30; n++) log.record(record(n));
    await first;
    expect(await packs.countDocuments({})).toBe(before + 1);
    await log.flush();
    expect(await packs.countDocuments({})).toBe(before + 2);
    const steady = (await allStoredDeliveries(app.db)).filter((d) => d.partner === 'steady').map((d) => Number(d.event_id));
    expect(steady.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });
});

describe('the delivery log switched off', () => {
  test('when DELIVERY_LOG_DAYS is 0, then requests are answered as ever and nothing is recorded', async () => {
    const off = await startTestApp({ dbName: `${dbNameFor(__filename)}_off`, config: { deliveryLogDays: 0 } });
    try {
      expect(off.stores.deliveryLog).toBeUndefined();
      expect((await off.post(anEvent())).status).toBe(201);
      expect(await allStoredDeliveries(off.db)).toEqual([]);
    } finally {
      await off.stop();
    }
  });
});
