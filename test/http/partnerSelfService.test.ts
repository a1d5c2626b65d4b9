import { anEvent, without } from '../helpers/builders';
import { post, send } from '../helpers/http';
import { aPartner } from '../helpers/partners';
import { signedHeaders } from '../helpers/signing';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

type Partner = Awaited<ReturnType<typeof aPartner>>;

// Both ways records are stored: packed per batch (the local database's way) and one document
// each (MongoDB's way, whose index plans this database cannot show but whose filters it runs).
describe.each(['packs', 'records'] as const)("a partner's own deliveries and events, stored as %s", (storage) => {
  let app: TestApp;
  let alice: Partner;
  let bob: Partner;
  beforeAll(async () => {
    app = await startTestApp({ dbName: `${dbNameFor(__filename)}_${storage}`, deliveryStorage: storage });
    alice = await aPartner(app.partners);
    bob = await aPartner(app.partners);
  });
  afterAll(() => app.stop());

  const get = (path: string, who: Partner) => send(`${app.url}${path}`, { headers: who.auth });
  const deliver = (who: Partner, body: unknown, headers: Record<string, string> = {}) => post(app.endpoint, body, { ...who.auth, ...headers });
  const flushed = () => app.stores.deliveryLog!.flush();

  test('when two partners each deliver, then each lists only its own deliveries, whatever filter or guessed request id it sends', async () => {
    const a1 = await deliver(alice, anEvent(), { 'Idempotency-Key': 'alice-1' });
    const a2 = await deliver(alice, without(anEvent(), 'patient_id'));
    const b1 = await deliver(bob, anEvent(), { 'Idempotency-Key': 'bob-1' });
    await flushed();

    const mine = await get('/webhook/deliveries', alice);
    expect(mine.status).toBe(200);
    expect(mine.body.data.map((d: { request_id: string }) => d.request_id)).toEqual([a2, a1].map((r) => r.headers.get('x-request-id')));
    expect(mine.body.data.every((d: { partner: string }) => d.partner === alice.name)).toBe(true);
    // Bob's request id, guessed or leaked, finds nothing for Alice, but finds it for Bob.
    const guessed = await get(`/webhook/deliveries?request_id=${b1.headers.get('x-request-id')}`, alice);
    expect(guessed.body).toEqual({ data: [], next_cursor: null, has_more: false });
    const own = await get(`/webhook/deliveries?request_id=${b1.headers.get('x-request-id')}`, bob);
    expect(own.body.data).toHaveLength(1);
  });

  test('when a partner filters by status class, error type and time, then only matching records come back, newest first, in cursor pages', async () => {
    const started = new Date();
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(await deliver(alice, i % 2 === 0 ? without(anEvent(), 'patient_id') : anEvent()));
    await flushed();
    const since = `from=${encodeURIComponent(started.toISOString())}`;
    const refused = await get(`/webhook/deliveries?${since}&status_class=4xx`, alice);
    expect(refused.body.data.map((d: { status: number }) => d.status)).toEqual([422, 422, 422]);
    const byType = await get(`/webhook/deliveries?${since}&type=value_error.missing`, alice);
    expect(byType.body.data).toHaveLength(3);
    const none = await get(`/webhook/deliveries?${since}&type=value_error.too_long`, alice);
    expect(none.body.data).toHaveLength(0);
    // Bounds far outside the keys' years still bound correctly.
    expect((await get(`/webhook/deliveries?${since}&before=9999-12-31T00:00:00Z`, alice)).body.data).toHaveLength(5);
    expect((await get('/webhook/deliveries?from=2300-01-01T00:00:00Z', alice)).body.data).toHaveLength(0);
    expect((await get('/webhook/deliveries?before=1900-01-01T00:00:00Z', alice)).body.data).toHaveLength(0);
    const before = await get(`/webhook/deliveries?before=${encodeURIComponent(started.toISOString())}`, alice);
    expect(before.body.data.every((d: { received_at: string }) => Date.parse(d.received_at) < started.getTime())).toBe(true);

    const pages: string[] = [];
    let cursor = '';
    for (let i = 0; i < 5; i++) {
      const page = await get(`/webhook/deliveries?${since}&limit=2${cursor}`, alice);
      pages.push(...page.body.data.map((d: { request_id: string }) => d.request_id));
      if (!page.body.has_more) break;
      cursor = `&cursor=${page.body.next_cursor}`;
    }
    expect(pages).toEqual(sent.map((r) => r.headers.get('x-request-id')).reverse());
  });

  test('when a partner looks an event up by event_id or by its key, then it finds its own and never another partner’s', async () => {
    const mine = await deliver(alice, anEvent({ appointment_id: 'LOOKUP-A' }), { 'Idempotency-Key': 'shared-key' });
    const theirs = await deliver(bob, anEvent({ appointment_id: 'LOOKUP-B' }), { 'Idempotency-Key': 'shared-key' });
    expect([mine.status, theirs.status]).toEqual([201, 201]);

    const byId = await get(`/webhook/events/${mine.body.event_id}`, alice);
    expect(byId.status).toBe(200);
    expect(byId.body).toMatchObject({ event_id: mine.body.event_id, partner: alice.name, appointment_id: 'LOOKUP-A', mode: 'live' });
    const byKey = await get('/webhook/events?idempotency_key=shared-key', alice);
    expect(byKey.body).toEqual(byId.body);
    // The same key sent by Bob names Bob's event only.
    expect((await get('/webhook/events?idempotency_key=shared-key', bob)).body.appointment_id).toBe('LOOKUP-B');

    const guessed = await get(`/webhook/events/${theirs.body.event_id}`, alice);
    expect(guessed.status).toBe(404);
    expect(guessed.body.errors[0]).toMatchObject({ loc: ['path', 'event_id'], type: 'not_found.event' });
    expect((await get('/webhook/events?idempotency_key=never-sent', alice)).status).toBe(404);
    expect((await get('/webhook/events/999999999', alice)).status).toBe(404);
  });

  test('when a signing partner reads, then its key alone opens the route (a read has no body to sign)', async () => {
    const signer = await aPartner(app.partners, { signing: true });
    const body = JSON.stringify(anEvent());
    const sent = await post(app.endpoint, body, { ...signer.auth, ...signedHeaders(signer.secret, body, { id: 'msg_self_service' }) });
    expect(sent.status).toBe(201);
    const found = await get('/webhook/events?idempotency_key=msg_self_service', signer);
    expect(found.status).toBe(200);
    expect(found.body.event_id).toBe(sent.body.event_id);
  });

  test('when a read comes without a partner key, or with a consumer token, then it is refused 401', async () => {
    for (const headers of [{}, { Authorization: 'Bearer apptrd_' + 'a'.repeat(43) }, { Authorization: 'Bearer apptwh_' + 'b'.repeat(43) }]) {
      for (const path of ['/webhook/deliveries', '/webhook/events/1', '/webhook/events?idempotency_key=x']) {
        const res = await send(`${app.url}${path}`, { headers });
        expect(res.status).toBe(401);
        expect(res.body.status).toBe('error');
      }
    }
  });

  test('when a read sends a malformed filter or cursor, then it is refused 400 in the envelope', async () => {
    for (const query of ['status_class=3xx', 'type=Not%20A%20Type', 'from=yesterday', 'cursor=d1-1', 'limit=0', 'request_id=abc']) {
      const res = await get(`/webhook/deliveries?${query}`, alice);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].loc[0]).toBe('query');
    }
  });
});
