import { anEvent } from '../helpers/builders';
import { aConsumer, read } from '../helpers/consumers';
import { aPartner } from '../helpers/partners';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';
import { sleep } from '../helpers/time';

// The feed's chunks outlive a clear() of the events, so each test counts from where the feed stands.
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename), config: { feedSequencer: true, feedIntervalMs: 20, feedChunkSize: 3 } });
});
afterAll(() => app.stop());

interface FeedItem {
  event_id: number;
  partner: string;
  feed_position: number;
}

/** Reads the feed from `after` until it has `count` events (or the time runs out). */
async function readFeed(auth: Record<string, string>, count: number, after?: string, limit = 2): Promise<{ items: FeedItem[]; cursor: string }> {
  const items: FeedItem[] = [];
  let cursor = after;
  const deadline = Date.now() + 10_000;
  while (items.length < count && Date.now() < deadline) {
    const res = await read(app.url, `/feed?limit=${limit}${cursor ? `&after=${cursor}` : ''}`, auth);
    expect(res.status).toBe(200);
    expect(res.body.data.length).toBeLessThanOrEqual(limit);
    items.push(...res.body.data);
    cursor = res.body.next_cursor;
    if (!res.body.has_more) await sleep(20);
  }
  return { items, cursor: cursor! };
}

async function feedEnd(auth: Record<string, string>): Promise<string | undefined> {
  let cursor: string | undefined;
  for (;;) {
    const res = await read(app.url, `/feed?limit=500${cursor ? `&after=${cursor}` : ''}`, auth);
    cursor = res.body.next_cursor;
    if (!res.body.has_more) return cursor;
  }
}

describe('GET /feed', () => {
  test('when events are stored, then the feed gives each once, in event_id order within its chunks, at increasing positions, resuming from any cursor', async () => {
    const consumer = await aConsumer(app.stores.consumers);
    const start = await feedEnd(consumer.auth);
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) ids.push((await app.post(anEvent())).body.event_id);
    const first = await readFeed(consumer.auth, 3, start);
    const rest = await readFeed(consumer.auth, 7 - first.items.length, first.cursor);
    const items = [...first.items, ...rest.items];
    expect(items.map((e) => e.event_id)).toEqual(ids);
    const positions = items.map((e) => e.feed_position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(new Set(positions).size).toBe(7);
    // Read again from the same cursor: the same events, in the same places.
    const again = await readFeed(consumer.auth, 7, start, 7);
    expect(again.items).toEqual(items);
    // Nothing new: an empty page that keeps the place, and says so.
    const quiet = await read(app.url, `/feed?after=${rest.cursor}`, consumer.auth);
    expect(quiet.body).toEqual({ data: [], next_cursor: rest.cursor, has_more: false });
  });

  test('when a token is limited to one partner, then its feed skips the others\' events but not its own', async () => {
    const other = await aPartner(app.partners);
    const limited = await aConsumer(app.stores.consumers, { partners: [app.partner] });
    const start = await feedEnd(limited.auth);
    const mine: number[] = [];
    for (let i = 0; i < 4; i++) {
      mine.push((await app.post(anEvent())).body.event_id);
      await app.post(anEvent(), other.auth);
    }
    const { items } = await readFeed(limited.auth, 4, start, 500);
    expect(items.map((e) => e.event_id)).toEqual(mine);
    expect(items.every((e) => e.partner === app.partner)).toBe(true);
  });

  test('when the cursor is not of the feed\'s form, then 400; when it is past the end, then an empty page that keeps it', async () => {
    const consumer = await aConsumer(app.stores.consumers);
    const res = await read(app.url, '/feed?after=e1-5', consumer.auth);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ loc: ['query', 'after'], type: 'value_error.str.regex' })]);
    const far = await read(app.url, '/feed?after=f1-999999-7', consumer.auth);
    expect(far.body).toEqual({ data: [], next_cursor: 'f1-999999-7', has_more: false });
  });
});

describe('GET /appointments/{partner}/{appointment_id}', () => {
  test('when an appointment has events, then its state is worked out from all of them, in timestamp order, whatever order they arrived in', async () => {
    const consumer = await aConsumer(app.stores.consumers);
    const booked = (await app.post(anEvent({ appointment_id: 'A12345', timestamp: '2025-01-10T12:30:00Z' }))).body.event_id;
    const cancelled = (await app.post(anEvent({ appointment_id: 'A12345', event_type: 'appointment.cancelled', timestamp: '2025-01-09T08:15:00Z' }))).body.event_id;
    const res = await read(app.url, `/appointments/${app.partner}/A12345`, consumer.auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ partner: app.partner, appointment_id: 'A12345', status: 'scheduled', event_count: 2 });
    expect(res.body.history.map((h: { event_id: number }) => h.event_id)).toEqual([cancelled, booked]);
    // The guide's scenario: the booking stamped after the cancellation reads as a change after it.
    expect(res.body.flags.map((f: { type: string; event_ids: number[] }) => [f.type, f.event_ids])).toEqual([
      ['change_after_final', [cancelled, booked]],
      ['arrival_order_differs', [cancelled, booked]],
    ]);
  });

  test('when the appointment is unknown, or the partner is outside the token, then 404 or 403', async () => {
    const limited = await aConsumer(app.stores.consumers, { partners: ['someone-else'] });
    const consumer = await aConsumer(app.stores.consumers);
    const missing = await read(app.url, `/appointments/${app.partner}/nope`, consumer.auth);
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0]).toMatchObject({ type: 'not_found.appointment' });
    const forbidden = await read(app.url, `/appointments/${app.partner}/A12345`, limited.auth);
    expect(forbidden.status).toBe(403);
  });

  test('when the appointment id needs escaping in the path, then it is read back exactly', async () => {
    const consumer = await aConsumer(app.stores.consumers);
    const id = 'A 1/2 é😀';
    expect((await app.post(anEvent({ appointment_id: id }))).status).toBe(201);
    const res = await read(app.url, `/appointments/${app.partner}/${encodeURIComponent(id)}`, consumer.auth);
    expect(res.status).toBe(200);
    expect(res.body.appointment_id).toBe(id);
  });
});
