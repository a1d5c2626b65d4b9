// Over 200 lines: one feature's cases, idempotent delivery (explicit keys, implicit keys, webhook-ids, races across two instances, repeats at volume), sharing two apps (the volume block starts a third) and the replay helper.
import { aPartner } from '../helpers/partners';
import { anEvent } from '../helpers/builders';
import { post, type Reply } from '../helpers/http';
import { signedHeaders } from '../helpers/signing';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';
import { eventFields, eventTypes } from '../helpers/spec';

const dbName = dbNameFor(__filename);
let app: TestApp;
let other: TestApp;
beforeAll(async () => {
  [app, other] = await Promise.all([startTestApp({ dbName }), startTestApp({ dbName })]);
});
afterAll(async () => {
  await app.stop();
  await other.stop();
});
beforeEach(() => app.clear());

const newPartner = (signing = false) => aPartner(app.partners, { signing });

function expectReplayOf(reply: Reply, original: Reply) {
  expect(reply.status).toBe(201);
  expect(reply.headers.get('idempotent-replayed')).toBe('true');
  expect(reply.body).toEqual(original.body);
}

describe('idempotent delivery', () => {
  test('when the same Idempotency-Key is sent again, then the identical 201 comes back marked as a replay and nothing new is stored', async () => {
    const event = anEvent();
    const first = await app.post(event, { 'Idempotency-Key': 'order-1' });
    const again = await app.post(event, { 'Idempotency-Key': 'order-1' });

    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expectReplayOf(again, first);
    expect(await app.events.countDocuments()).toBe(1);
  });

  test('when a repeat arrives after a restart, through another instance, then it is still a replay: the database enforces it', async () => {
    const partner = await newPartner();
    const event = anEvent();
    const send = (target: TestApp) => post(target.endpoint, event, { ...partner.auth, 'Idempotency-Key': 'survives-restart' });
    // An instance of this test's own is stopped and started again; the file's instances stay as they are.
    const stopped = await startTestApp({ dbName });
    let first: Reply;
    try {
      first = await send(stopped);
    } finally {
      await stopped.stop();
    }
    const restarted = await startTestApp({ dbName });
    try {
      expectReplayOf(await send(restarted), first);
      expectReplayOf(await send(other), first);
      expect(await app.events.countDocuments()).toBe(1);
    } finally {
      await restarted.stop();
    }
  });

  test('when the key is sent as a quoted structured-field string, then it is the same key as the bare token', async () => {
    const event = anEvent();
    const first = await app.post(event, { 'Idempotency-Key': 'abc-123' });
    expectReplayOf(await app.post(event, { 'Idempotency-Key': '"abc-123"' }), first);
  });

  test('when the same key comes with a different payload, then 422 idempotency_key_reused and nothing new is stored', async () => {
    await app.post(anEvent(), { 'Idempotency-Key': 'reused' });
    const res = await app.post(anEvent(), { 'Idempotency-Key': 'reused' });

    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      status: 'error',
      message: 'Idempotency key already used for a different event',
      errors: [{ loc: ['header', 'idempotency-key'], msg: 'this key was already used for a different event', type: 'value_error.idempotency_key_reused' }],
    });
    expect(await app.events.countDocuments()).toBe(1);
  });

  test.each([
    ['too long', 'k'.repeat(257)],
    ['with a space', 'has space'],
    ['with a control character', 'tab\there'],
    ['an empty quoted string (which would be one shared empty key)', '""'],
  ])('when the Idempotency-Key is %s, then 422 on that header', async (_case, key) => {
    const res = await app.post(anEvent(), { 'Idempotency-Key': key });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].loc).toEqual(['header', 'idempotency-key']);
    expect(await app.events.countDocuments()).toBe(0);
  });

  describe('without an explicit key', () => {
    test('when the identical payload is sent again, then it is a replay', async () => {
      const event = anEvent();
      const first = await app.post(event);
      expectReplayOf(await app.post(event), first);
      expect(await app.events.countDocuments()).toBe(1);
    });

    test('when the same instant is written with another offset, and notes null instead of absent, then it is the same event', async () => {
      const { notes: _notes, ...event } = anEvent({ timestamp: '2025-01-10T12:30:00.500Z' });
      const first = await app.post(event);
      expectReplayOf(await app.post({ ...event, timestamp: '2025-01-10T08:30:00.50-04:00', notes: null }), first);
    });

    // One change per field of the spec's event: every field is part of what makes an event.
    const CHANGES: Record<string, Record<string, unknown>> = {
      event_type: { event_type: eventTypes()[1] },
      appointment_id: { appointment_id: 'A-other' },
      patient_id: { patient_id: 'P0001' },
      timestamp: { timestamp: '2025-01-10T12:30:00.0001Z' },
      notes: { notes: 'Annual physical.' },
    };

    test('when the spec is read, then every field of the event has a change to test', () => {
      expect(Object.keys(CHANGES).sort()).toEqual(eventFields().sort());
    });

    test.each(Object.entries(CHANGES))('when only %s differs, then it is a new event', async (_field, change) => {
      const event = anEvent({ timestamp: '2025-01-10T12:30:00Z' });
      const first = await app.post(event);
      const second = await app.post({ ...event, ...change });
      expect(second.status).toBe(201);
      expect(second.headers.get('idempotent-replayed')).toBeNull();
      expect(second.body.event_id).not.toBe(first.body.event_id);
      expect(await app.events.countDocuments()).toBe(2);
    });

    test('when two partners send the identical payload, then each is an event of its own', async () => {
      const event = anEvent();
      const a = await post(app.endpoint, event, (await newPartner()).auth);
      const b = await post(app.endpoint, event, (await newPartner()).auth);
      expect(b.body.event_id).not.toBe(a.body.event_id);
      expect(await app.events.countDocuments()).toBe(2);
    });
  });

  describe('signed requests', () => {
    test('when a signed delivery is retried with the same webhook-id and a fresh signature, then it is a replay', async () => {
      const partner = await newPartner(true);
      const body = JSON.stringify(anEvent());
      const first = await post(app.endpoint, body, { ...partner.auth, ...signedHeaders(partner.secret, body, { id: 'msg_1' }) });
      const again = await post(app.endpoint, body, { ...partner.auth, ...signedHeaders(partner.secret, body, { id: 'msg_1', timestamp: Math.floor(Date.now() / 1000) + 5 }) });
      expectReplayOf(again, first);
    });

    test('when the same webhook-id comes with another payload, then 422 on webhook-id', async () => {
      const partner = await newPartner(true);
      const one = JSON.stringify(anEvent());
      const two = JSON.stringify(anEvent());
      await post(app.endpoint, one, { ...partner.auth, ...signedHeaders(partner.secret, one, { id: 'msg_2' }) });
      const res = await post(app.endpoint, two, { ...partner.auth, ...signedHeaders(partner.secret, two, { id: 'msg_2' }) });
      expect(res.status).toBe(422);
      expect(res.body.errors[0]).toMatchObject({ loc: ['header', 'webhook-id'], type: 'value_error.idempotency_key_reused' });
    });

    test('when a captured signed request is replayed inside the signature window with new Idempotency-Keys, or without one, then nothing is stored twice', async () => {
      const partner = await newPartner(true);
      const body = JSON.stringify(anEvent());
      const captured = { ...partner.auth, ...signedHeaders(partner.secret, body, { id: 'msg_captured' }) };
      const original = await post(app.endpoint, body, captured);
      expect(original.status).toBe(201);

      const replays = [
        ...(await Promise.all(['replay-1', 'replay-2', 'replay-3'].map((key) => post(app.endpoint, body, { ...captured, 'Idempotency-Key': key })))),
        await post(app.endpoint, body, captured),
        await post(app.endpoint, body, { ...captured, 'Idempotency-Key': '"msg_captured"' }),
      ];
      // A changed key is refused; the same request again is the original's 201, marked a replay.
      for (const refused of replays.slice(0, 3)) {
        expect(refused.status).toBe(422);
        expect(refused.body.errors).toEqual([
          {
            loc: ['header', 'idempotency-key'],
            msg: 'on a signed request the webhook-id is the idempotency key: send no Idempotency-Key, or the same value',
            type: 'value_error.idempotency_key.mismatch',
          },
        ]);
      }
      for (const repeat of replays.slice(3)) expectReplayOf(repeat, original);
      expect(await app.events.countDocuments({ partner: partner.name })).toBe(1);
    });

    test('when the webhook-id is itself a quoted string and Idempotency-Key repeats it as it is, then it is accepted', async () => {
      const partner = await newPartner(true);
      const body = JSON.stringify(anEvent());
      const res = await post(app.endpoint, body, { ...partner.auth, ...signedHeaders(partner.secret, body, { id: '"quoted-id"' }), 'Idempotency-Key': '"quoted-id"' });
      expect(res.status).toBe(201);
    });

    test('when the webhook-id has the longest length allowed (256), then it can still be repeated as Idempotency-Key', async () => {
      const partner = await newPartner(true);
      const body = JSON.stringify(anEvent());
      const id = 'w'.repeat(256);
      const res = await post(app.endpoint, body, { ...partner.auth, ...signedHeaders(partner.secret, body, { id }), 'Idempotency-Key': id });
      expect(res.status).toBe(201);
    });

    test('when a signed request also sends Idempotency-Key equal to its webhook-id, then it is accepted, and its retry is a replay', async () => {
      const partner = await newPartner(true);
      const body = JSON.stringify(anEvent());
      const first = await post(app.endpoint, body, { ...partner.auth, ...signedHeaders(partner.secret, body, { id: 'msg_same' }), 'Idempotency-Key': 'msg_same' });
      expect(first.status).toBe(201);
      const again = await post(app.endpoint, body, { ...partner.auth, ...signedHeaders(partner.secret, body, { id: 'msg_same' }), 'Idempotency-Key': 'msg_same' });
      expectReplayOf(again, first);
    });
  });

  describe('concurrency', () => {
    test('when 20 identical requests race on one instance, then one event is stored and all 20 get its 201', async () => {
      const event = anEvent();
      const replies = await Promise.all(Array.from({ length: 20 }, () => app.post(event, { 'Idempotency-Key': 'race-1' })));

      expect(replies.map((r) => r.status)).toEqual(Array(20).fill(201));
      expect(new Set(replies.map((r) => r.body.event_id)).size).toBe(1);
      expect(replies.filter((r) => r.headers.get('idempotent-replayed') === null)).toHaveLength(1);
      expect(await app.events.countDocuments()).toBe(1);
    });

    test('when identical requests race on two instances, then one event is stored and each gets its 201 (or 409 to retry)', async () => {
      const partner = await newPartner();
      const event = anEvent();
      const send = (target: TestApp) => post(target.endpoint, event, { ...partner.auth, 'Idempotency-Key': 'race-2' });
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => send(i % 2 ? app : other)));

      const statuses = new Set(replies.map((r) => r.status));
      expect([...statuses].every((s) => s === 201 || s === 409)).toBe(true);
      const ids = new Set(replies.filter((r) => r.status === 201).map((r) => r.body.event_id));
      expect(ids.size).toBe(1);
      for (const r of replies.filter((r) => r.status === 409)) expect(r.headers.get('retry-after')).toBeTruthy();
      expect(await app.events.countDocuments()).toBe(1);
    });
  });
});

describe('repeats at volume', () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await startTestApp({ dbName: `${dbName}_volume`, config: { metricsToken: 'metrics-token-0123456789abcdef' } });
  });
  afterAll(() => limited.stop());

  const writes = async () => {
    const text = await (await fetch(`${limited.url}/metrics`, { headers: { Authorization: 'Bearer metrics-token-0123456789abcdef' } })).text();
    return Number(/^webhook_db_write_batch_size_count (\d+)/m.exec(text)?.[1] ?? 0);
  };

  test('when a partner re-sends a burst of events already stored, then they are answered as replays without a database write, and another partner\'s new event goes through meanwhile', async () => {
    const events = Array.from({ length: 95 }, () => anEvent());
    for (const [i, event] of events.entries()) expect((await limited.post(event, { 'Idempotency-Key': `burst-${i}` })).status).toBe(201);
    const before = await writes();
    const other = await aPartner(limited.partners);

    const [retries, fresh] = await Promise.all([
      Promise.all(events.map((event, i) => limited.post(event, { 'Idempotency-Key': `burst-${i}` }))),
      post(limited.endpoint, anEvent(), other.auth),
    ]);
    expect(retries.every((r) => r.status === 201 && r.headers.get('idempotent-replayed') === 'true')).toBe(true);
    expect(fresh.status).toBe(201);
    // Only the other partner's event was written.
    expect((await writes()) - before).toBe(1);
  });

  test('when a captured request is replayed over and over, then the replays do not use up the partner\'s rate limit', async () => {
    const slow = await aPartner(limited.partners, { ratePerSecond: 1 });
    const event = anEvent();
    expect((await post(limited.endpoint, event, { ...slow.auth, 'Idempotency-Key': 'captured' })).status).toBe(201);
    const replays = [];
    for (let i = 0; i < 10; i++) replays.push(await post(limited.endpoint, event, { ...slow.auth, 'Idempotency-Key': 'captured' }));
    expect(replays.map((r) => r.status)).toEqual(Array(10).fill(201));
    // The partner's own next event is not refused: the replays gave back what they spent.
    expect((await post(limited.endpoint, anEvent(), slow.auth)).status).toBe(201);
    expect(Number(/;r=(\d+);/.exec(replays.at(-1)!.headers.get('ratelimit')!)![1])).toBeGreaterThanOrEqual(1);
  });
});
