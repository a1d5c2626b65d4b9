import { createReceiverClient, DeliveryGaveUp, DeliveryRefused, type AppointmentEvent, type AttemptOutcome } from '../../src/client/receiverClient';
import { anEvent } from '../helpers/builders';
import { freePort } from '../helpers/freePort';
import { aPartner } from '../helpers/partners';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';
import { sleep } from '../helpers/time';
import { startSilentServer } from '../helpers/silentServer';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename), config: { retryAfterSeconds: 1 } });
});
afterAll(() => app.stop());

async function client(options: { signing?: boolean; ratePerSecond?: number } = {}) {
  const { name, apiKey, signingSecret } = await aPartner(app.partners, options);
  return { name, client: createReceiverClient({ baseUrl: app.url, apiKey, signingSecret, baseDelayMs: 20 }) };
}

const event = () => anEvent() as unknown as AppointmentEvent;

describe('the typed receiver client', () => {
  test('when a signing partner sends an event, then it is signed, stored and the typed reply comes back', async () => {
    const { name, client: receiver } = await client({ signing: true });
    const sent = event();
    const delivered = await receiver.sendEvent(sent);

    expect(delivered.attempts).toBe(1);
    expect(delivered.replayed).toBe(false);
    expect(delivered.event.data).toEqual({ event_type: sent.event_type, appointment_id: sent.appointment_id, patient_id: sent.patient_id });
    expect(await app.events.countDocuments({ partner: name, event_id: delivered.event.event_id })).toBe(1);
  });

  test('when the same event is sent again with its key, then the receiver answers with the stored event', async () => {
    const { client: receiver } = await client({ signing: true });
    const sent = event();
    const first = await receiver.sendEvent(sent, 'client-key-1');
    const again = await receiver.sendEvent(sent, 'client-key-1');
    expect(again.replayed).toBe(true);
    expect(again.event).toEqual(first.event);
  });

  test('when the receiver answers 429, then the client waits Retry-After and delivers on a later attempt', async () => {
    const { name, client: receiver } = await client({ ratePerSecond: 1 }); // bursts of 2
    await receiver.sendEvent(event());
    await receiver.sendEvent(event());

    const started = Date.now();
    const third = await receiver.sendEvent(event());
    expect(third.attempts).toBeGreaterThanOrEqual(2);
    // The backoff alone would be 10-20 ms; only Retry-After (1 s) explains the wait.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(await app.events.countDocuments({ partner: name })).toBe(3);
  });

  test('when the event is invalid, then the client does not retry and reports the 422', async () => {
    const { client: receiver } = await client();
    const bad = { ...event(), timestamp: '2025-01-10 12:30:00' };
    const err: unknown = await receiver.sendEvent(bad).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeliveryRefused);
    expect((err as DeliveryRefused).status).toBe(422);
    expect((err as DeliveryRefused).reply?.errors[0]).toMatchObject({ loc: ['body', 'timestamp'], type: 'value_error.datetime' });
  });

  test('when baseUrl is a function, then it is asked before each attempt, and onAttempt hears how each attempt ended', async () => {
    const { name, apiKey } = await aPartner(app.partners);
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const addresses = [nobody, app.url];
    const outcomes: AttemptOutcome[] = [];
    const receiver = createReceiverClient({ baseUrl: () => addresses.shift() ?? app.url, apiKey, baseDelayMs: 20, onAttempt: (o) => outcomes.push(o) });

    const delivered = await receiver.sendEvent(event(), 'moved-receiver');

    expect(delivered.attempts).toBe(2);
    expect(outcomes).toEqual([
      { idempotencyKey: 'moved-receiver', attempt: 1, status: undefined, retryInMs: expect.any(Number) },
      { idempotencyKey: 'moved-receiver', attempt: 2, status: 201, retryInMs: undefined },
    ]);
    expect(await app.events.countDocuments({ partner: name })).toBe(1);
  });

  describe('against a receiver that never answers', () => {
    let silent: { url: string; close: () => Promise<void> };
    beforeAll(async () => {
      silent = await startSilentServer();
    });
    afterAll(() => silent.close());

    test('when each attempt outlasts attemptTimeoutMs, then it is abandoned and retried, and after maxAttempts the client rejects with DeliveryGaveUp', async () => {
      const receiver = createReceiverClient({ baseUrl: silent.url, apiKey: 'apptwh_unused', maxAttempts: 3, baseDelayMs: 10, attemptTimeoutMs: 100 });
      const started = Date.now();
      const err: unknown = await receiver.sendEvent(event()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeliveryGaveUp);
      expect(err).toMatchObject({ attempts: 3, lastStatus: undefined, message: 'gave up after 3 attempts' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    });

    test('when the caller\'s signal is aborted, then the attempt in flight and the retrying stop, and the client rejects with the signal\'s reason', async () => {
      const receiver = createReceiverClient({ baseUrl: silent.url, apiKey: 'apptwh_unused', baseDelayMs: 10 });
      const stop = new AbortController();
      const sending = receiver.sendEvent(event(), undefined, { signal: stop.signal });
      void sleep(100).then(() => stop.abort(new Error('the caller stopped')));
      await expect(sending).rejects.toThrow('the caller stopped');
    });
  });
});
