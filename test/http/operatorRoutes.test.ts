import { DELIVERIES_COLLECTION, DELIVERY_STATS_COLLECTION } from '../../src/store/deliveryLog';
import { allStoredDeliveries, DELIVERY_PACKS_COLLECTION } from '../../src/store/deliveryPacks';
import { anEvent, without } from '../helpers/builders';
import { aConsumer } from '../helpers/consumers';
import { post, send } from '../helpers/http';
import { aPartner, aTestKey } from '../helpers/partners';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

const OPERATOR_TOKEN = 'operator-token-for-tests-0123456789';
const operator = { Authorization: `Bearer ${OPERATOR_TOKEN}` };
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename), config: { operatorToken: OPERATOR_TOKEN } });
});
afterAll(() => app.stop());

const get = (path: string, headers: Record<string, string> = operator) => send(`${app.url}${path}`, { headers });

describe('the operator routes', () => {
  beforeEach(async () => {
    await app.stores.deliveryLog!.flush();
    await app.db.collection(DELIVERIES_COLLECTION).deleteMany({});
    await app.db.collection(DELIVERY_PACKS_COLLECTION).deleteMany({});
    await app.db.collection(DELIVERY_STATS_COLLECTION).deleteMany({});
  });

  test('when partners deliver, then the summary counts each partner and mode, and refusals by type, as the log holds them', async () => {
    const a = await aPartner(app.partners);
    const b = await aPartner(app.partners);
    const { auth: aTest } = await aTestKey(app.partners, a.name);
    const repeated = anEvent();
    await post(app.endpoint, repeated, { ...a.auth, 'Idempotency-Key': 'op-1' });
    await post(app.endpoint, repeated, { ...a.auth, 'Idempotency-Key': 'op-1' });
    await post(app.endpoint, without(anEvent(), 'patient_id'), a.auth);
    await post(app.endpoint, anEvent({ event_type: 'nope' }), b.auth);
    await post(app.endpoint, anEvent(), aTest);
    await post(app.endpoint, anEvent(), { Authorization: 'Bearer nonsense' });
    await app.stores.deliveryLog!.flush();

    const summary = await get('/operator/summary');
    expect(summary.status).toBe(200);
    const row = (partner: string | null, mode: string | null) => summary.body.partners.find((p: { partner: string | null; mode: string | null }) => p.partner === partner && p.mode === mode);
    expect(row(a.name, 'live').last_hour).toEqual({ accepted: 1, replayed: 1, refused: 1, failed: 0, success_rate: 2 / 3 });
    expect(row(a.name, 'test').last_day).toMatchObject({ accepted: 1, refused: 0 });
    expect(row(b.name, 'live').last_day).toEqual({ accepted: 0, replayed: 0, refused: 1, failed: 0, success_rate: 0 });
    expect(row(null, null).last_hour.refused).toBe(1);
    // A partner that sent nothing still has its row, with no rate to show.
    expect(row(app.partner, 'live').last_day).toEqual({ accepted: 0, replayed: 0, refused: 0, failed: 0, success_rate: null });
    const types = Object.fromEntries(summary.body.refusals.map((r: { type: string; last_day: number }) => [r.type, r.last_day]));
    expect(types['value_error.missing']).toBe(1);
    expect(types['auth_error.invalid_key']).toBe(1);

    // The summary agrees with the records themselves.
    // A live key's records carry no mode (only test keys' do).
    const records = (await allStoredDeliveries(app.db)).filter((r) => r.partner === a.name && r.mode === undefined);
    expect(records.filter((r) => r.status >= 400)).toHaveLength(row(a.name, 'live').last_day.refused);
  });

  test('when the operator lists deliveries, then every partner’s come back, filterable by partner', async () => {
    const a = await aPartner(app.partners);
    const b = await aPartner(app.partners);
    await post(app.endpoint, anEvent(), a.auth);
    await post(app.endpoint, anEvent(), b.auth);
    await app.stores.deliveryLog!.flush();
    const all = await get('/operator/deliveries');
    expect(new Set(all.body.data.map((d: { partner: string }) => d.partner))).toEqual(new Set([a.name, b.name]));
    const onlyB = await get(`/operator/deliveries?partner=${b.name}`);
    expect(onlyB.body.data.map((d: { partner: string }) => d.partner)).toEqual([b.name]);
  });

  test('when the operator looks up an event or an appointment, then any partner’s live one is found', async () => {
    const a = await aPartner(app.partners);
    const res = await post(app.endpoint, anEvent({ appointment_id: 'OP-APPT' }), a.auth);
    const event = await get(`/operator/events/${res.body.event_id}`);
    expect(event.body).toMatchObject({ event_id: res.body.event_id, partner: a.name, appointment_id: 'OP-APPT' });
    const state = await get(`/operator/appointments/${a.name}/OP-APPT`);
    expect(state.status).toBe(200);
    expect(state.body.appointment_id).toBe('OP-APPT');
    expect((await get('/operator/events/987654321')).status).toBe(404);
  });

  test('when an operator route is asked without the operator token, or with a partner key or consumer token, then it is refused 401', async () => {
    const consumer = await aConsumer(app.stores.consumers);
    for (const headers of [{}, app.auth, consumer.auth, { Authorization: 'Bearer wrong-operator-token-0000' }]) {
      for (const path of ['/operator/summary', '/operator/deliveries', '/operator/events/1', `/operator/appointments/${app.partner}/X`]) {
        const res = await get(path, headers);
        expect(res.status).toBe(401);
        expect(res.body.status).toBe('error');
      }
    }
    // The operator token opens no partner or consumer route.
    expect((await get('/webhook/deliveries')).status).toBe(401);
    expect((await get('/events')).status).toBe(401);
  });
});

describe('the operator routes without a configured token', () => {
  test('when OPERATOR_TOKEN is unset, then every operator route is refused', async () => {
    const closed = await startTestApp({ dbName: `${dbNameFor(__filename)}_closed` });
    try {
      const res = await send(`${closed.url}/operator/summary`, { headers: operator });
      expect(res.status).toBe(401);
    } finally {
      await closed.stop();
    }
  });
});
