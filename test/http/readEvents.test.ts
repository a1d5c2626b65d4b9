import type { QueryPlan } from '../../src/store/eventQueryPlan';
import { anEvent } from '../helpers/builders';
import { aConsumer, read } from '../helpers/consumers';
import { aPartner } from '../helpers/partners';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

let app: TestApp;
const plans: QueryPlan[] = [];

beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename), observeQueries: (plan) => plans.push(plan) });
});
afterAll(() => app.stop());
beforeEach(async () => {
  await app.clear();
  plans.length = 0;
});

async function store(events: Record<string, unknown>[], auth = app.auth): Promise<number[]> {
  const ids: number[] = [];
  for (const event of events) {
    const res = await app.post(event, auth);
    expect(res.status).toBe(201);
    ids.push(res.body.event_id);
  }
  return ids;
}

describe('GET /events', () => {
  test('when a consumer lists events, then it gets them newest first, as stored, with the timestamp exactly as sent', async () => {
    const ids = await store([anEvent({ timestamp: '2025-01-10T14:30:00+02:00' }), anEvent({ notes: null })]);
    const consumer = await aConsumer(app.stores.consumers);
    const res = await read(app.url, '/events', consumer.auth);
    expect(res.status).toBe(200);
    expect(res.body.data.map((e: { event_id: number }) => e.event_id)).toEqual([...ids].reverse());
    expect(res.body.data[1]).toEqual({
      event_id: ids[0],
      partner: app.partner,
      event_type: 'appointment.scheduled',
      appointment_id: expect.any(String),
      patient_id: 'P8765',
      timestamp: '2025-01-10T14:30:00+02:00',
      notes: 'Annual physical',
      received_at: expect.stringMatching(/Z$/),
    });
    expect(res.body).toMatchObject({ next_cursor: null, has_more: false });
  });

  test('when every page is followed by its cursor, then each event is read once, and the pages cost no skip', async () => {
    const ids = await store(Array.from({ length: 7 }, () => anEvent()));
    const consumer = await aConsumer(app.stores.consumers);
    for (const order of ['asc', 'desc']) {
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const res = await read(app.url, `/events?order=${order}&limit=3${cursor ? `&cursor=${cursor}` : ''}`, consumer.auth);
        expect(res.status).toBe(200);
        seen.push(...res.body.data.map((e: { event_id: number }) => e.event_id));
        expect(res.body.has_more).toBe(res.body.next_cursor !== null);
        cursor = res.body.next_cursor;
      } while (cursor);
      expect(seen).toEqual(order === 'asc' ? ids : [...ids].reverse());
    }
    expect(plans.every((plan) => !('skip' in plan))).toBe(true);
  });

  test('when filters are combined, then only events matching all of them come back, through the index the plan names', async () => {
    const other = await aPartner(app.partners);
    const [cancelled] = await store([anEvent({ event_type: 'appointment.cancelled', appointment_id: 'A-1', patient_id: 'P-1', timestamp: '2025-01-09T08:15:00Z' })]);
    await store([anEvent({ appointment_id: 'A-1', patient_id: 'P-1' }), anEvent({ event_type: 'appointment.cancelled', patient_id: 'P-2' })]);
    await store([anEvent({ event_type: 'appointment.cancelled', appointment_id: 'A-1', patient_id: 'P-1' })], other.auth);
    const consumer = await aConsumer(app.stores.consumers);
    const query =
      `/events?partner=${app.partner}&event_type=appointment.cancelled&event_type=appointment.no_show&appointment_id=A-1&patient_id=P-1` +
      '&timestamp_from=2025-01-09T00:00:00Z&timestamp_before=2025-01-10T00:00:00Z&received_from=2020-01-01T00:00:00Z';
    const res = await read(app.url, query, consumer.auth);
    expect(res.status).toBe(200);
    expect(res.body.data.map((e: { event_id: number }) => e.event_id)).toEqual([cancelled]);
    expect(plans.at(-1)?.hint).toBe('events_by_partner_appointment');
    const byType = await read(app.url, '/events?event_type=appointment.cancelled', consumer.auth);
    expect(byType.body.data).toHaveLength(3);
    expect(plans.at(-1)?.hint).toBe('events_by_type');
    const byPatient = await read(app.url, '/events?patient_id=P-2', consumer.auth);
    expect(byPatient.body.data).toHaveLength(1);
    expect(plans.at(-1)?.hint).toBe('events_by_patient');
  });

  test('when a cursor is malformed, or a limit is out of range, then 400 in the envelope', async () => {
    await store([anEvent(), anEvent()]);
    const consumer = await aConsumer(app.stores.consumers);
    const malformed = await read(app.url, '/events?limit=1&cursor=f1-1-0', consumer.auth);
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ status: 'error', message: 'Invalid query', errors: [expect.objectContaining({ loc: ['query', 'cursor'], type: 'value_error.str.regex' })] });
    const tooMany = await read(app.url, '/events?limit=501', consumer.auth);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors[0]).toMatchObject({ loc: ['query', 'limit'], type: 'value_error.number.not_le', ctx: { limit_value: 500 } });
    const badType = await read(app.url, '/events?event_type=appointment.moved', consumer.auth);
    expect(badType.status).toBe(400);
    expect(badType.body.errors[0]).toMatchObject({ type: 'type_error.enum' });
  });

  test('when a token is limited to some partners, then it reads only theirs, and asking for another is 403', async () => {
    const other = await aPartner(app.partners);
    const [mine] = await store([anEvent()]);
    const [theirs] = await store([anEvent()], other.auth);
    const consumer = await aConsumer(app.stores.consumers, { partners: [app.partner] });
    const res = await read(app.url, '/events', consumer.auth);
    expect(res.body.data.map((e: { event_id: number }) => e.event_id)).toEqual([mine]);
    const forbidden = await read(app.url, `/events?partner=${other.name}`, consumer.auth);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.errors[0]).toMatchObject({ loc: ['query', 'partner'], type: 'auth_error.partner_not_allowed' });
    expect((await read(app.url, `/events/${theirs}`, consumer.auth)).status).toBe(404);
    expect((await read(app.url, `/events/${mine}`, consumer.auth)).status).toBe(200);
  });
});

describe('credentials of the read routes', () => {
  test('when a partner key is sent to a read route, or a consumer token to delivery, then 401', async () => {
    const consumer = await aConsumer(app.stores.consumers);
    const withKey = await read(app.url, '/events', app.auth);
    expect(withKey.status).toBe(401);
    expect(withKey.body.errors[0]).toMatchObject({ type: 'auth_error.invalid_key' });
    expect((await read(app.url, '/events', {})).body.errors[0]).toMatchObject({ type: 'auth_error.missing_key' });
    const delivered = await app.post(anEvent(), consumer.auth);
    expect(delivered.status).toBe(401);
    expect(await app.events.countDocuments()).toBe(0);
  });

  test('when a consumer reads, then the log names it and the count returned, and no patient data', async () => {
    await store([anEvent({ patient_id: 'P-secret-1' })]);
    const consumer = await aConsumer(app.stores.consumers);
    await read(app.url, '/events?patient_id=P-secret-1', consumer.auth);
    const line = app.logs.map((l) => JSON.parse(l)).find((l) => l.operation === 'listEvents');
    expect(line).toMatchObject({ consumer: consumer.name, returned: 1, status: 200 });
    expect(app.logs.join('\n')).not.toContain('P-secret-1');
  });
});

describe('GET /events/{event_id}', () => {
  test('when the event exists, then it is returned; when not, then 404 not_found.event', async () => {
    const [id] = await store([anEvent()]);
    const consumer = await aConsumer(app.stores.consumers);
    expect((await read(app.url, `/events/${id}`, consumer.auth)).body).toMatchObject({ event_id: id, partner: app.partner });
    const missing = await read(app.url, `/events/${id! + 1000}`, consumer.auth);
    expect(missing.status).toBe(404);
    expect(missing.body.errors).toEqual([{ loc: ['path', 'event_id'], msg: 'no such event', type: 'not_found.event' }]);
    expect((await read(app.url, '/events/0', consumer.auth)).status).toBe(400);
  });
});
