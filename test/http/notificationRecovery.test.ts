import { cutShortApps, NO_RECOVERY } from '../helpers/cutShort';
import { eventually } from '../helpers/eventually';
import { aNotification, anAppointment } from '../helpers/messageBuilders';
import { dbNameFor } from '../helpers/testApp';

const { faults, anApp, cutAt, records, retire, cleanUp, deliver, three, storedOf, sweptBy } = cutShortApps(dbNameFor(__filename));
afterEach(cleanUp);

describe('a notification whose write is cut short is completed, never left in part', () => {
  test('when the database fails between the events of a notification, then 503, a record of the notification stays, and another instance completes it: each event stored once', async () => {
    const cut = await cutAt('cut');
    expect(await storedOf(cut, 'cut')).toEqual(['cut-a', 'cut-c']);
    const [record, ...more] = await records(cut);
    expect(more).toHaveLength(0);
    // The events as read, never the message: no practitioner, no display name, no FHIR resource.
    expect(Object.keys(record!).sort()).toEqual(['_id', 'at', 'attempts', 'entries', 'mode', 'next_at', 'partner']);
    expect(JSON.stringify(record)).not.toMatch(/Ana Rivera|Osei|resourceType/);
    expect(record!.entries).toHaveLength(3);
    await retire(cut);

    const next = await sweptBy({ completed: 1, refused: 0, failed: 0 });
    expect(await storedOf(next, 'cut')).toEqual(['cut-a', 'cut-b', 'cut-c']);
    const ids = (await next.events.find({ appointment_id: { $regex: '^cut-' } }).toArray()).map((d) => d.event_id as number);
    expect(new Set(ids).size).toBe(3);
    const lines = next.logs.filter((line) => line.includes('cut short'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, events: 3 });
    expect(next.logs.join('\n')).not.toMatch(/cut-[abc]|P8765|Ana Rivera/);
  });

  test('when the instance that was cut short keeps running, then it completes the notification itself, with no resend', async () => {
    const app = await anApp({ everyMs: 100, afterMs: 300 });
    faults.failNext.add('self-a');
    expect((await deliver(app, three('self'))).status).toBe(503);
    await eventually(async () => expect(await storedOf(app, 'self')).toEqual(['self-a', 'self-b', 'self-c']), 15_000);
    await eventually(async () => expect(await records(app)).toHaveLength(0), 15_000);
  });

  test('when the sender resends before the service completes it, then 201 with the stored events as replays, each stored once, and the record is gone', async () => {
    const app = await anApp(NO_RECOVERY);
    faults.failNext.add('again-c');
    const body = three('again');
    expect((await deliver(app, body)).status).toBe(503);
    const res = await deliver(app, body);
    expect(res.status).toBe(201);
    expect((res.body.events as { replayed: boolean }[]).map((e) => e.replayed)).toEqual([true, true, false]);
    expect(await storedOf(app, 'again')).toEqual(['again-a', 'again-b', 'again-c']);
    // Deleted once every event is stored, after the reply.
    await eventually(async () => expect(await records(app)).toHaveLength(0), 5_000);
  });

  test('when the record itself cannot be written, then 503 and nothing of the notification is stored', async () => {
    const app = await anApp(NO_RECOVERY);
    faults.recordFails = true;
    expect((await deliver(app, three('none'))).status).toBe(503);
    expect(await storedOf(app, 'none')).toEqual([]);
    expect(await records(app)).toHaveLength(0);
  });

  test('when a notification is stored whole, then no record is left behind', async () => {
    const app = await anApp(NO_RECOVERY);
    expect((await deliver(app, three('whole'))).status).toBe(201);
    expect(await storedOf(app, 'whole')).toEqual(['whole-a', 'whole-b', 'whole-c']);
    // Deleted once every event is stored, after the reply.
    await eventually(async () => expect(await records(app)).toHaveLength(0), 5_000);
    // A lone Appointment is one write, whole or not at all: it needs no record, even when it fails.
    faults.failNext.add('lone-a');
    expect((await deliver(app, anAppointment({ id: 'lone-a' }))).status).toBe(503);
    expect(await records(app)).toHaveLength(0);
  });

  test('when a version of a cut-short notification comes again with other content, then 422 and nothing of it is stored, and the notification is completed with the content it was first sent with', async () => {
    const cut = await cutAt('claimed');
    const other = aNotification([anAppointment({ id: 'claimed-new' }), anAppointment({ id: 'claimed-b', comment: 'changed since' })]);
    const res = await deliver(cut, other);
    expect(res.status).toBe(422);
    expect(res.body.issue).toEqual([expect.objectContaining({ code: 'duplicate', expression: ['Bundle.entry[2].resource.meta.versionId'] })]);
    expect(await storedOf(cut, 'claimed-new')).toEqual([]);
    await retire(cut);

    const next = await sweptBy({ completed: 1, refused: 0, failed: 0 });
    expect(await storedOf(next, 'claimed')).toEqual(['claimed-a', 'claimed-b', 'claimed-c']);
    expect(await next.events.countDocuments({ notes: 'changed since' })).toBe(0);
  });

  test('when an event of a record is refused on completion (its version was stored on its own with other content), then the record is dropped and the error is logged without the events', async () => {
    const cut = await cutAt('taken');
    // Before the service completes it, the same version of taken-b is stored on its own with other content.
    const other = aNotification([anAppointment({ id: 'taken-b', comment: 'changed since' })]);
    expect((await deliver(cut, other)).status).toBe(201);
    await retire(cut);

    const next = await sweptBy({ completed: 0, refused: 1, failed: 0 });
    const line = JSON.parse(next.logs.find((l) => l.includes('cannot be completed'))!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 50, code: 'idempotency_key_reused', events: 3, partner: cut.partner, mode: 'live', attempt: 1 });
    expect(typeof line.record).toBe('string');
    expect(next.logs.join('\n')).not.toMatch(/taken-[abc]|P8765|changed since/);
  });
});
