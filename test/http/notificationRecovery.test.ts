import type { Config } from '../../src/config';
import { AppError } from '../../src/errors';
import { Metrics } from '../../src/metrics';
import { PENDING_NOTIFICATIONS_COLLECTION } from '../../src/store/pendingNotifications';
import { eventually } from '../helpers/eventually';
import { post } from '../helpers/http';
import { aNotification, anAppointment } from '../helpers/messageBuilders';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';
import { sleep } from '../helpers/time';

/** Appointment ids whose next write fails before it is stored, as when the database goes away mid-notification. */
const failNext = new Set<string>();
/** Whether recording a notification fails (the database is gone before anything is written). */
let recordFails = false;
/** Appointment ids whose next write never answers, as when the database hangs. */
const hangNext = new Set<string>();

const dbName = dbNameFor(__filename);
/** Never within a test: the instance that was cut short leaves its records alone. */
const NO_RECOVERY = { everyMs: 600_000, afterMs: 600_000 };
const apps: TestApp[] = [];

async function anApp(notificationRecovery: { everyMs: number; afterMs: number }, metrics?: Metrics, config?: Partial<Config>): Promise<TestApp> {
  const app = await startTestApp({
    dbName,
    config,
    metrics,
    notificationRecovery,
    wrapStore: (store) => ({
      ...store,
      async saveEvent(event, ...rest) {
        if (failNext.delete(event.appointment_id)) throw new AppError('database_unavailable');
        if (hangNext.delete(event.appointment_id)) return new Promise<never>(() => undefined);
        return store.saveEvent(event, ...rest);
      },
    }),
    wrapPending: (pending) => ({
      ...pending,
      async record(notification, timeoutMs) {
        if (recordFails) throw new AppError('database_unavailable');
        return pending.record(notification, timeoutMs);
      },
    }),
  });
  apps.push(app);
  return app;
}

afterEach(async () => {
  failNext.clear();
  hangNext.clear();
  recordFails = false;
  const [first] = apps;
  if (first) await Promise.all([first.events.deleteMany({}), first.db.collection(PENDING_NOTIFICATIONS_COLLECTION).deleteMany({})]);
  await Promise.all(apps.splice(0).map((app) => app.stop()));
});

const deliver = (app: TestApp, body: unknown) => post(`${app.url}/webhook/appointment/fhir`, body, { 'Content-Type': 'application/fhir+json', ...app.auth });
const three = (prefix: string) => aNotification(['a', 'b', 'c'].map((x) => anAppointment({ id: `${prefix}-${x}` })));
/** The appointment ids stored for this prefix, with how many times each. */
async function storedOf(app: TestApp, prefix: string): Promise<string[]> {
  const docs = await app.events.find({ appointment_id: { $regex: `^${prefix}-` } }).toArray();
  return docs.map((d) => d.appointment_id as string).sort();
}
const outcomes = async (metrics: Metrics) => Object.fromEntries((await metrics.notificationsCompleted.get()).values.map((v) => [v.labels.outcome, v.value]));
const records = (app: TestApp) => app.db.collection(PENDING_NOTIFICATIONS_COLLECTION).find({}).toArray();

describe('a notification whose write is cut short is completed, never left in part', () => {
  test('when the database fails between the events of a notification, then 503, a record of the notification stays, and another instance completes it: each event stored once', async () => {
    const cut = await anApp(NO_RECOVERY);
    failNext.add('cut-b');
    const res = await deliver(cut, three('cut'));
    expect(res.status).toBe(503);
    expect(await storedOf(cut, 'cut')).toEqual(['cut-a', 'cut-c']);
    const [record, ...more] = await records(cut);
    expect(more).toHaveLength(0);
    // The events as read, never the message: no practitioner, no display name, no FHIR resource.
    expect(Object.keys(record!).sort()).toEqual(['_id', 'at', 'attempts', 'entries', 'mode', 'next_at', 'partner']);
    expect(JSON.stringify(record)).not.toMatch(/Ana Rivera|Osei|resourceType/);
    expect(record!.entries).toHaveLength(3);
    await cut.stop();
    apps.splice(apps.indexOf(cut), 1);

    const metrics = new Metrics();
    const next = await anApp({ everyMs: 100, afterMs: 0 }, metrics);
    await eventually(async () => expect(await records(next)).toHaveLength(0), 15_000);
    expect(await storedOf(next, 'cut')).toEqual(['cut-a', 'cut-b', 'cut-c']);
    const ids = (await next.events.find({ appointment_id: { $regex: '^cut-' } }).toArray()).map((d) => d.event_id as number);
    expect(new Set(ids).size).toBe(3);
    expect(await outcomes(metrics)).toEqual({ completed: 1, refused: 0, failed: 0 });
    const lines = next.logs.filter((line) => line.includes('cut short'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, events: 3 });
    expect(next.logs.join('\n')).not.toMatch(/cut-[abc]|P8765|Ana Rivera/);
  });

  test('when the instance that was cut short keeps running, then it completes the notification itself, with no resend', async () => {
    const app = await anApp({ everyMs: 100, afterMs: 300 });
    failNext.add('self-a');
    expect((await deliver(app, three('self'))).status).toBe(503);
    await eventually(async () => expect(await storedOf(app, 'self')).toEqual(['self-a', 'self-b', 'self-c']), 15_000);
    await eventually(async () => expect(await records(app)).toHaveLength(0), 15_000);
  });

  test('when the sender resends before the service completes it, then 201 with the stored events as replays, each stored once, and the record is gone', async () => {
    const app = await anApp(NO_RECOVERY);
    failNext.add('again-c');
    const body = three('again');
    expect((await deliver(app, body)).status).toBe(503);
    const res = await deliver(app, body);
    expect(res.status).toBe(201);
    expect((res.body.events as { replayed: boolean }[]).map((e) => e.replayed)).toEqual([true, true, false]);
    expect(await storedOf(app, 'again')).toEqual(['again-a', 'again-b', 'again-c']);
    expect(await records(app)).toHaveLength(0);
  });

  test('when the record itself cannot be written, then 503 and nothing of the notification is stored', async () => {
    const app = await anApp(NO_RECOVERY);
    recordFails = true;
    expect((await deliver(app, three('none'))).status).toBe(503);
    expect(await storedOf(app, 'none')).toEqual([]);
    expect(await records(app)).toHaveLength(0);
  });

  test('when a notification is stored whole, then no record is left behind', async () => {
    const app = await anApp(NO_RECOVERY);
    expect((await deliver(app, three('whole'))).status).toBe(201);
    expect(await storedOf(app, 'whole')).toEqual(['whole-a', 'whole-b', 'whole-c']);
    expect(await records(app)).toHaveLength(0);
    // A lone Appointment is one write, whole or not at all: it needs no record, even when it fails.
    failNext.add('lone-a');
    expect((await deliver(app, anAppointment({ id: 'lone-a' }))).status).toBe(503);
    expect(await records(app)).toHaveLength(0);
  });

  test('when an event of a record is refused on completion (its id now names other content), then the record is dropped and the error is logged without the events', async () => {
    const cut = await anApp(NO_RECOVERY);
    failNext.add('taken-b');
    expect((await deliver(cut, three('taken'))).status).toBe(503);
    // Before the service completes it, the same version of taken-b comes with other content.
    const other = aNotification([anAppointment({ id: 'taken-b', comment: 'changed since' })]);
    expect((await deliver(cut, other)).status).toBe(201);
    await cut.stop();
    apps.splice(apps.indexOf(cut), 1);

    const metrics = new Metrics();
    const next = await anApp({ everyMs: 100, afterMs: 0 }, metrics);
    await eventually(async () => expect(await records(next)).toHaveLength(0), 15_000);
    expect(await outcomes(metrics)).toEqual({ completed: 0, refused: 1, failed: 0 });
    const line = JSON.parse(next.logs.find((l) => l.includes('cannot be completed'))!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 50, code: 'idempotency_key_reused', events: 3, partner: cut.partner, mode: 'live', attempt: 1 });
    expect(typeof line.record).toBe('string');
    expect(next.logs.join('\n')).not.toMatch(/taken-[abc]|P8765|changed since/);
  });

  test('when completing fails, then the record is tried again later and completed, each failure counted', async () => {
    const cut = await anApp(NO_RECOVERY);
    failNext.add('retry-b');
    expect((await deliver(cut, three('retry'))).status).toBe(503);
    await cut.stop();
    apps.splice(apps.indexOf(cut), 1);

    // The first attempt fails as the request did; the next completes it.
    failNext.add('retry-b');
    const metrics = new Metrics();
    const next = await anApp({ everyMs: 100, afterMs: 0 }, metrics);
    await eventually(async () => expect(await records(next)).toHaveLength(0), 15_000);
    expect(await outcomes(metrics)).toEqual({ completed: 1, refused: 0, failed: 1 });
    expect(await storedOf(next, 'retry')).toEqual(['retry-a', 'retry-b', 'retry-c']);
    const warning = JSON.parse(next.logs.find((l) => l.includes('could not be completed yet'))!) as Record<string, unknown>;
    expect(warning).toMatchObject({ level: 40, partner: cut.partner, attempt: 1 });
  });

  test('when a record is younger than the wait for its request, then it is left alone', async () => {
    const metrics = new Metrics();
    const app = await anApp({ everyMs: 50, afterMs: 600_000 }, metrics);
    failNext.add('young-b');
    expect((await deliver(app, three('young'))).status).toBe(503);
    // Many sweeps pass, each finding nothing due.
    await sleep(1000);
    expect(await records(app)).toHaveLength(1);
    expect(await storedOf(app, 'young')).toEqual(['young-a', 'young-c']);
    expect(await outcomes(metrics)).toEqual({ completed: 0, refused: 0, failed: 0 });
  });

  test('when a move is cut short and a newer version is booked before it is completed, then it is still stored as a move', async () => {
    const cut = await anApp(NO_RECOVERY);
    const version = (v: number, start: string) => anAppointment({ id: 'moved', version: String(v), start, lastUpdated: `2025-01-0${v}T09:00:00Z` });
    expect((await deliver(cut, version(1, '2025-01-10T12:30:00Z'))).status).toBe(201);
    failNext.add('moved');
    expect((await deliver(cut, aNotification([version(2, '2025-01-11T12:30:00Z'), anAppointment({ id: 'moved-other' })]))).status).toBe(503);
    // The decision is kept in the record once the cut-short request has made it.
    await eventually(async () => expect((await records(cut))[0]?.entries[0]).toMatchObject({ eventType: 'appointment.rescheduled' }), 10_000);
    expect((await deliver(cut, version(3, '2025-01-12T12:30:00Z'))).status).toBe(201);
    await cut.stop();
    apps.splice(apps.indexOf(cut), 1);

    const next = await anApp({ everyMs: 100, afterMs: 0 });
    await eventually(async () => expect(await records(next)).toHaveLength(0), 15_000);
    const types = (await next.events.find({ appointment_id: 'moved' }).sort({ timestamp: 1 }).toArray()).map((e) => `${e.control_id} ${e.event_type}`);
    expect(types).toEqual(['Appointment/moved/_history/1 appointment.scheduled', 'Appointment/moved/_history/2 appointment.rescheduled', 'Appointment/moved/_history/3 appointment.rescheduled']);
  });

  test('when the service stops while a completion hangs, then it stops all the same, and the record stays for the next sweep', async () => {
    const cut = await anApp(NO_RECOVERY);
    failNext.add('hung-b');
    expect((await deliver(cut, three('hung'))).status).toBe(503);
    await cut.stop();
    apps.splice(apps.indexOf(cut), 1);

    hangNext.add('hung-b');
    const metrics = new Metrics();
    const next = await anApp({ everyMs: 50, afterMs: 0 }, metrics);
    // hung-b's write has been taken up and does not answer.
    await eventually(async () => expect(hangNext.has('hung-b')).toBe(false), 10_000);
    await next.stop();
    apps.splice(apps.indexOf(next), 1);
    expect(await outcomes(metrics)).toEqual({ completed: 0, refused: 0, failed: 0 });

    const last = await anApp({ everyMs: 100, afterMs: 0 });
    await eventually(async () => expect(await records(last)).toHaveLength(0), 15_000);
    expect(await storedOf(last, 'hung')).toEqual(['hung-a', 'hung-b', 'hung-c']);
  });
});
