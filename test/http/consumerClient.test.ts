// Over 200 lines: one client, each read route and the feed's checkpoints, then its retrying and aborting against stand-ins.
import { createConsumerClient, ReadGaveUp, ReadRefused, type FeedEvent, type ReadAttempt } from '../../src/client/consumerClient';
import { anEvent } from '../helpers/builders';
import { aConsumer } from '../helpers/consumers';
import { feedWarmedUp } from '../helpers/feedWarmUp';
import { aFlakyProxy } from '../helpers/flakyProxy';
import { aPartner } from '../helpers/partners';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';
import { sleep } from '../helpers/time';
import { startSilentServer } from '../helpers/silentServer';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename), config: { feedSequencer: true, feedIntervalMs: 20, feedChunkSize: 3 } });
  await feedWarmedUp(app);
}, 90_000);
afterAll(() => app.stop());

const failed = (promise: Promise<unknown>) => promise.then(() => undefined, (err: unknown) => err);

/**
 * A partner of its own with `count` events stored, a client whose token reads only that partner,
 * and `start`, the feed's end before they were stored: after it, the feed holds just them.
 */
async function aFeed(count: number) {
  const partner = await aPartner(app.partners);
  const { token } = await aConsumer(app.stores.consumers, { partners: [partner.name] });
  const client = createConsumerClient({ baseUrl: app.url, token, baseDelayMs: 10 });
  let start: string | undefined;
  await collect(client.feed({ onCheckpoint: (cursor) => void (start = cursor) }));
  const ids: number[] = [];
  for (let i = 0; i < count; i++) ids.push((await app.post(anEvent(), partner.auth)).body.event_id);
  // The feed places stored events a moment later: wait until all are in it.
  const deadline = Date.now() + 20_000;
  while ((await collect(client.feed({ after: start }))).length < count) {
    if (Date.now() > deadline) throw new Error(`events ${ids.join(', ')} not all in the feed after 20 s`);
    await sleep(20);
  }
  return { partner, ids, token, client, start };
}

async function collect(events: AsyncIterable<FeedEvent>): Promise<FeedEvent[]> {
  const all: FeedEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe('the typed consumer client', () => {
  test('when events are listed a page at a time, then following next_cursor gives every matching event once, in order, until a page says there is no more', async () => {
    const patient = `P-list-${process.pid}-${Date.now()}`;
    const types = ['appointment.scheduled', 'appointment.cancelled', 'appointment.scheduled', 'appointment.no_show', 'appointment.scheduled'];
    const ids: number[] = [];
    for (const event_type of types) ids.push((await app.post(anEvent({ patient_id: patient, event_type }))).body.event_id);
    const { token } = await aConsumer(app.stores.consumers);
    const client = createConsumerClient({ baseUrl: app.url, token });

    const pages = [await client.listEvents({ patient_id: patient, order: 'asc', limit: 2 })];
    while (pages.at(-1)!.has_more) pages.push(await client.listEvents({ patient_id: patient, order: 'asc', limit: 2, cursor: pages.at(-1)!.next_cursor! }));
    expect(pages.map((page) => page.data.length)).toEqual([2, 2, 1]);
    expect(pages.flatMap((page) => page.data.map((e) => e.event_id))).toEqual(ids);
    expect(pages.at(-1)).toMatchObject({ has_more: false, next_cursor: null });

    // Several event types go as a repeated parameter.
    const endings = await client.listEvents({ patient_id: patient, event_type: ['appointment.cancelled', 'appointment.no_show'] });
    expect(endings.data.map((e) => e.event_id)).toEqual([ids[3], ids[1]]);
    expect(await client.getEvent(ids[1]!)).toEqual(pages[0]!.data[1]);
  });

  test('when an appointment is read, then its state comes back; an unknown one is refused with 404 and its envelope, without a second attempt', async () => {
    const attempts: ReadAttempt[] = [];
    const { token } = await aConsumer(app.stores.consumers);
    const client = createConsumerClient({ baseUrl: app.url, token, onAttempt: (a) => attempts.push(a) });
    const id = `A 1/2 é-${process.pid}`;
    await app.post(anEvent({ appointment_id: id, timestamp: '2025-01-09T08:15:00Z' }));
    await app.post(anEvent({ appointment_id: id, event_type: 'appointment.cancelled', timestamp: '2025-01-10T08:15:00Z' }));

    const state = await client.getAppointment(app.partner, id);
    expect(state).toMatchObject({ partner: app.partner, appointment_id: id, status: 'cancelled', event_count: 2 });

    attempts.length = 0;
    const err = await failed(client.getAppointment(app.partner, 'no-such-appointment'));
    expect(err).toBeInstanceOf(ReadRefused);
    expect(err).toMatchObject({ status: 404, reply: { message: 'Not found', errors: [expect.objectContaining({ type: 'not_found.appointment' })] } });
    expect(attempts).toEqual([{ route: 'GET /appointments/{partner}/{appointment_id}', attempt: 1, status: 404, retryInMs: undefined }]);
  });

  test('when the feed is read with checkpoints and stopped, then resuming from the last checkpoint gives exactly the events after it: none twice, none missed', async () => {
    const { ids, client, start } = await aFeed(7);
    const log: string[] = [];
    const checkpoints: string[] = [];
    const stop = new AbortController();
    const onCheckpoint = async (cursor: string) => {
      log.push('checkpoint');
      await sleep(30); // awaited: no event comes before it is done
      checkpoints.push(cursor);
      log.push('saved');
    };
    const first: number[] = [];
    for await (const event of client.feed({ after: start, limit: 3, signal: stop.signal, onCheckpoint })) {
      log.push('event');
      first.push(event.event_id);
      if (first.length === 4) stop.abort(); // in the second page: it is finished, and checkpointed, first
    }
    expect(first).toEqual(ids.slice(0, 6));
    expect(log.join(' ')).toBe('event event event checkpoint saved event event event checkpoint saved');

    const rest = (await collect(client.feed({ after: checkpoints[1], limit: 3, onCheckpoint }))).map((e) => e.event_id);
    expect(rest).toEqual(ids.slice(6));
    expect([...first, ...rest]).toEqual(ids);
    // From the first checkpoint: exactly the events after the first page.
    expect((await collect(client.feed({ after: checkpoints[0] }))).map((e) => e.event_id)).toEqual(ids.slice(3));
    // From the last one: nothing, and no checkpoint for a page that does not move the cursor.
    const before = checkpoints.length;
    expect(await collect(client.feed({ after: checkpoints.at(-1), onCheckpoint }))).toEqual([]);
    expect(checkpoints.length).toBe(before);
  });

  test('when the loop is left in the middle of a page, then that page is not checkpointed, and resuming gives it again from its start', async () => {
    const { ids, client, start } = await aFeed(5);
    const checkpoints: string[] = [];
    const seen: number[] = [];
    for await (const event of client.feed({ after: start, limit: 2, onCheckpoint: (cursor) => void checkpoints.push(cursor) })) {
      seen.push(event.event_id);
      if (seen.length === 3) break;
    }
    expect(checkpoints).toHaveLength(1);
    expect((await collect(client.feed({ after: checkpoints[0] }))).map((e) => e.event_id)).toEqual(ids.slice(2));
  });

  test('when following, then an event stored later is yielded, and aborting ends the iteration without an error, even in the wait', async () => {
    const { partner, ids, client, start } = await aFeed(2);
    const stop = new AbortController();
    const seen: number[] = [];
    const following = (async () => {
      for await (const event of client.feed({ after: start, follow: true, pollMs: 20, signal: stop.signal })) seen.push(event.event_id);
    })();
    const later = (await app.post(anEvent(), partner.auth)).body.event_id;
    const deadline = Date.now() + 20_000;
    while (seen.length < 3 && Date.now() < deadline) await sleep(20);
    stop.abort();
    await expect(following).resolves.toBeUndefined();
    expect(seen).toEqual([...ids, later]);

    const waiting = new AbortController();
    const started = Date.now();
    const idle = collect(client.feed({ after: start, follow: true, pollMs: 60_000, signal: waiting.signal }));
    await sleep(200);
    waiting.abort();
    expect((await idle).map((e) => e.event_id)).toEqual([...ids, later]);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('when the receiver answers 503 with Retry-After, then the client waits that long and asks again, and the feed goes on with no event lost or repeated', async () => {
    const { ids, token, start } = await aFeed(5);
    const proxy = await aFlakyProxy(app.url, (n) => n === 2);
    try {
      const attempts: ReadAttempt[] = [];
      const client = createConsumerClient({ baseUrl: proxy.url, token, baseDelayMs: 10, onAttempt: (a) => attempts.push(a) });
      const started = Date.now();
      expect((await collect(client.feed({ after: start, limit: 2 }))).map((e) => e.event_id)).toEqual(ids);
      // The backoff alone would be 5-10 ms; only Retry-After (1 s) explains the wait.
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(attempts[1]).toEqual({ route: 'GET /feed', attempt: 1, status: 503, retryInMs: 1000 });
      expect(attempts[2]).toEqual({ route: 'GET /feed', attempt: 2, status: 200, retryInMs: undefined });
    } finally {
      await proxy.close();
    }
  });

  test('when every attempt is answered 503, then the client gives up after maxAttempts with ReadGaveUp', async () => {
    const { token } = await aConsumer(app.stores.consumers);
    const proxy = await aFlakyProxy(app.url, () => true, 503, '0');
    try {
      const client = createConsumerClient({ baseUrl: proxy.url, token, maxAttempts: 3, baseDelayMs: 10 });
      const err = await failed(client.getEvent(1));
      expect(err).toBeInstanceOf(ReadGaveUp);
      expect(err).toMatchObject({ attempts: 3, lastStatus: 503 });
      expect(proxy.seen()).toBe(3);
    } finally {
      await proxy.close();
    }
  });

  test('when the token or the cursor is refused, then ReadRefused carries the status and envelope, from a read and from the feed, at the first attempt', async () => {
    const attempts: ReadAttempt[] = [];
    const stranger = createConsumerClient({ baseUrl: app.url, token: 'apptrd_not-a-token', onAttempt: (a) => attempts.push(a) });
    const err = await failed(stranger.listEvents());
    expect(err).toBeInstanceOf(ReadRefused);
    expect(err).toMatchObject({ status: 401, reply: { message: 'Unauthorized' } });
    expect(attempts).toHaveLength(1);
    await expect(collect(stranger.feed())).rejects.toMatchObject({ status: 401 });

    const { token } = await aConsumer(app.stores.consumers);
    const reader = createConsumerClient({ baseUrl: app.url, token });
    const refused = await failed(collect(reader.feed({ after: 'bm90LWEtY3Vyc29y' })));
    expect(refused).toBeInstanceOf(ReadRefused);
    expect((refused as ReadRefused).reply?.errors).toEqual([expect.objectContaining({ loc: ['query', 'after'], type: 'value_error.str.regex' })]);
  });

  test('when the caller aborts during a Retry-After wait, then the read rejects at once with the signal\'s reason', async () => {
    const { token } = await aConsumer(app.stores.consumers);
    const proxy = await aFlakyProxy(app.url, () => true, 429, '30');
    try {
      const client = createConsumerClient({ baseUrl: proxy.url, token });
      const stop = new AbortController();
      const started = Date.now();
      const reading = client.listEvents({}, { signal: stop.signal });
      await sleep(200);
      stop.abort(new Error('the caller stopped'));
      await expect(reading).rejects.toThrow('the caller stopped');
      expect(Date.now() - started).toBeLessThan(5000);
      expect(proxy.seen()).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  describe('against a receiver that never answers', () => {
    let silent: { url: string; close: () => Promise<void> };
    beforeAll(async () => {
      silent = await startSilentServer();
    });
    afterAll(() => silent.close());

    test('when each attempt outlasts attemptTimeoutMs, then it is abandoned and retried, up to maxAttempts', async () => {
      const client = createConsumerClient({ baseUrl: silent.url, token: 'apptrd_unused', maxAttempts: 3, baseDelayMs: 10, attemptTimeoutMs: 100 });
      const started = Date.now();
      const err = await failed(client.getAppointment('acme', 'A1'));
      expect(err).toBeInstanceOf(ReadGaveUp);
      expect(err).toMatchObject({ attempts: 3, lastStatus: undefined });
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    });

    test('when the caller aborts while a page is being asked for, then the feed ends at once without an error', async () => {
      const client = createConsumerClient({ baseUrl: silent.url, token: 'apptrd_unused' });
      const stop = new AbortController();
      const started = Date.now();
      const reading = collect(client.feed({ follow: true, signal: stop.signal }));
      await sleep(100);
      stop.abort();
      expect(await reading).toEqual([]);
      expect(Date.now() - started).toBeLessThan(2000);
    });
  });
});
