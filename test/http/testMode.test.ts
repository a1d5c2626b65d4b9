import { TEST_API_KEY_PREFIX } from '../../src/auth/credentials';
import { Metrics } from '../../src/metrics';
import { allStoredDeliveries } from '../../src/store/deliveryPacks';
import { TEST_EVENTS_COLLECTION } from '../../src/store/eventStore';
import { anEvent, without } from '../helpers/builders';
import { aConsumer, read } from '../helpers/consumers';
import { post, send } from '../helpers/http';
import { aPartner, aTestKey } from '../helpers/partners';
import { signedHeaders } from '../helpers/signing';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

let app: TestApp;
beforeAll(async () => {
  // The sequencer runs, so the feed's answer covers every event stored before it is read.
  app = await startTestApp({ dbName: dbNameFor(__filename), config: { feedSequencer: true, feedIntervalMs: 50 } });
});
afterAll(() => app.stop());

type Partner = Awaited<ReturnType<typeof aPartner>>;
const deliver = (who: Partner, body: unknown, headers: Record<string, string> = {}) => post(app.endpoint, body, { ...who.auth, ...headers });

describe('test mode', () => {
  test('when a test key delivers, then the 201 says "mode": "test" and the event is stored apart from live events', async () => {
    const tester = await aPartner(app.partners, { mode: 'test' });
    expect(tester.apiKey.startsWith(TEST_API_KEY_PREFIX)).toBe(true);
    const res = await deliver(tester, anEvent({ appointment_id: 'TEST-APPT-1' }), { 'Idempotency-Key': 'test-1' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'success', mode: 'test', data: { appointment_id: 'TEST-APPT-1' } });
    expect(await app.events.countDocuments({ partner: tester.name })).toBe(0);
    expect(await app.db.collection(TEST_EVENTS_COLLECTION).countDocuments({ partner: tester.name, event_id: res.body.event_id })).toBe(1);

    // A live key's reply has no mode, as the guide has always shown it.
    const live = await app.post(anEvent());
    expect(live.status).toBe(201);
    expect(live.body.mode).toBeUndefined();
  });

  test('when a test key repeats a delivery or sends an invalid one, then it is answered exactly as a live key would be', async () => {
    const tester = await aPartner(app.partners, { mode: 'test' });
    const event = anEvent();
    const first = await deliver(tester, event, { 'Idempotency-Key': 'rep-1' });
    const again = await deliver(tester, event, { 'Idempotency-Key': 'rep-1' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.event_id).toBe(first.body.event_id);
    const reused = await deliver(tester, anEvent({ notes: 'other' }), { 'Idempotency-Key': 'rep-1' });
    expect(reused.status).toBe(422);

    const invalidTest = await deliver(tester, without(anEvent(), 'patient_id'));
    const invalidLive = await app.post(without(anEvent(), 'patient_id'));
    expect(invalidTest.status).toBe(invalidLive.status);
    expect(invalidTest.body).toEqual(invalidLive.body);
  });

  test('when a signing partner uses its test key, then signatures are checked as for live ones', async () => {
    const signer = await aPartner(app.partners, { signing: true, mode: 'test' });
    const body = JSON.stringify(anEvent());
    expect((await post(app.endpoint, body, signer.auth)).status).toBe(401);
    const signed = await post(app.endpoint, body, { ...signer.auth, ...signedHeaders(signer.secret, body) });
    expect(signed.status).toBe(201);
    expect(signed.body.mode).toBe('test');
  });

  test('when test events are stored, then no consumer read of live data returns them: queries, lookups, appointments or the feed', async () => {
    const tester = await aPartner(app.partners, { mode: 'test' });
    const res = await deliver(tester, anEvent({ appointment_id: 'HIDDEN-APPT' }));
    expect(res.status).toBe(201);
    const consumer = await aConsumer(app.stores.consumers);
    const events = await read(app.url, `/events?partner=${tester.name}`, consumer.auth);
    expect(events.body.data).toEqual([]);
    expect((await read(app.url, `/appointments/${tester.name}/HIDDEN-APPT`, consumer.auth)).status).toBe(404);
    // Test event_ids are counted apart: the same number may name a live event, never the test one.
    const byId = await read(app.url, `/events/${res.body.event_id}`, consumer.auth);
    if (byId.status === 200) expect(byId.body.partner).not.toBe(tester.name);
    // A live event stored after the test one: once the feed lists it, it has placed everything before.
    const after = await app.post(anEvent());
    const partners = new Set<string>();
    let seenAfter = false;
    const deadline = Date.now() + 15_000;
    let cursor = '';
    while (!seenAfter && Date.now() < deadline) {
      const page = await read(app.url, `/feed?limit=500${cursor}`, consumer.auth);
      for (const e of page.body.data) {
        partners.add(e.partner);
        if (e.event_id === after.body.event_id) seenAfter = true;
      }
      cursor = `&after=${page.body.next_cursor}`;
      if (!page.body.has_more && !seenAfter) await new Promise((r) => setTimeout(r, 100));
    }
    expect(seenAfter).toBe(true);
    expect(partners.has(tester.name)).toBe(false);
  });

  test('when a partner has a live and a test key, then each key finds only the events of its own mode, and deliveries record the mode', async () => {
    const partner = await aPartner(app.partners);
    const { auth: testKey } = await aTestKey(app.partners, partner.name);
    const live = await deliver(partner, anEvent(), { 'Idempotency-Key': 'same-key' });
    const test = await post(app.endpoint, anEvent(), { ...testKey, 'Idempotency-Key': 'same-key' });
    expect([live.status, test.status]).toEqual([201, 201]);
    expect(test.body.mode).toBe('test');

    const liveFound = await send(`${app.url}/webhook/events?idempotency_key=same-key`, { headers: partner.auth });
    const testFound = await send(`${app.url}/webhook/events?idempotency_key=same-key`, { headers: testKey });
    expect([liveFound.body.mode, liveFound.body.event_id]).toEqual(['live', live.body.event_id]);
    expect([testFound.body.mode, testFound.body.event_id]).toEqual(['test', test.body.event_id]);

    await app.stores.deliveryLog!.flush();
    const modes = (await allStoredDeliveries(app.db)).filter((d) => d.partner === partner.name);
    // Stored, a live key's record has no mode (the usual); a test key's says so.
    expect(modes.map((d) => d.mode)).toEqual([undefined, 'test']);
  });
});

describe('test mode rate limits', () => {
  test('when a test key uses up its allowance, then the live key of the same partner still delivers', async () => {
    const metrics = new Metrics();
    const limited = await startTestApp({ dbName: `${dbNameFor(__filename)}_rl`, metrics, config: { rateLimitPerSecond: 1, rateLimitBurst: 2, unauthenticatedRatePerSecond: 1, unauthenticatedBurst: 1 } });
    try {
      const { auth } = await aTestKey(limited.partners, limited.partner);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await limited.post(anEvent({ appointment_id: `RL-${i}` }), auth)).status);
      expect(statuses).toEqual([201, 201, 429]);
      expect((await limited.post(anEvent({ appointment_id: 'RL-live' }))).status).toBe(201);

      // A signing partner's bad signatures run out their own budget: those 429s are refusals, not its rate limit.
      const signer = await aPartner(limited.partners, { signing: true });
      const bad = [];
      for (let i = 0; i < 3; i++) bad.push((await post(limited.endpoint, JSON.stringify(anEvent()), signer.auth)).status);
      expect(bad).toContain(429);
      const counted = (await metrics.registry.getSingleMetric('webhook_deliveries_total')!.get()).values;
      const count = (partner: string, mode: string, outcome: string) => counted.find((v) => v.labels.partner === partner && v.labels.mode === mode && v.labels.outcome === outcome)?.value ?? 0;
      expect(count(limited.partner, 'test', 'rate_limited')).toBe(1);
      expect(count(limited.partner, 'live', 'accepted')).toBe(1);
      expect(count(signer.name, 'live', 'rate_limited')).toBe(0);
      expect(count(signer.name, 'live', 'refused')).toBe(3);
    } finally {
      await limited.stop();
    }
  });
});
