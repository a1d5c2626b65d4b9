import { AppError } from '../../src/errors';
import { startId } from '../../src/store/appointmentStarts';
import { VERSION_KEYS_COLLECTION, versionKeysDatabaseName } from '../../src/store/versionKeys';
import { post } from '../helpers/http';
import { eventually } from '../helpers/eventually';
import { aNotification, anAppointment } from '../helpers/messageBuilders';
import { aPartner } from '../helpers/partners';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

/** Appointment ids whose next write is stored but answered 503, as when the reply is lost on the way. */
const loseReplyOf = new Set<string>();

let app: TestApp;
let fhir: string;
beforeAll(async () => {
  app = await startTestApp({
    dbName: dbNameFor(__filename),
    wrapStore: (store) => ({
      ...store,
      async saveEvent(event, ...rest) {
        const saved = await store.saveEvent(event, ...rest);
        if (loseReplyOf.delete(event.appointment_id)) throw new AppError('database_unavailable');
        return saved;
      },
    }),
  });
  fhir = `${app.url}/webhook/appointment/fhir`;
});
afterAll(() => app.stop());

const deliver = (auth: Record<string, string>, body: unknown) => post(fhir, body, { 'Content-Type': 'application/fhir+json', ...auth });
const version = (id: string, v: number, start: string, comment = 'as booked') =>
  anAppointment({ id, version: String(v), start, lastUpdated: `2025-01-0${v}T09:00:00Z`, comment });
const typesOf = async (partner: string, id: string) => (await app.events.find({ partner, appointment_id: id }).sort({ event_id: 1 }).toArray()).map((e) => `${e.control_id} ${e.event_type}`);

describe('FHIR reschedules, whatever order versions arrive in', () => {
  test('when the reply to a move is lost and the move is resent, then the start it moved to is kept, and the next version with that start is no move', async () => {
    const { auth, name } = await aPartner(app.partners);
    expect((await deliver(auth, version('lost', 1, '2025-01-10T12:30:00Z'))).status).toBe(201);
    loseReplyOf.add('lost');
    expect((await deliver(auth, version('lost', 2, '2025-01-11T12:30:00Z'))).status).toBe(503);
    const resent = await deliver(auth, version('lost', 2, '2025-01-11T12:30:00Z'));
    expect(resent.body.events[0]).toMatchObject({ replayed: true, data: { event_type: 'appointment.rescheduled' } });
    expect((await deliver(auth, version('lost', 3, '2025-01-11T12:30:00Z', 'note changed'))).body.events[0].data.event_type).toBe('appointment.scheduled');
    expect(await typesOf(name, 'lost')).toEqual(['Appointment/lost/_history/1 appointment.scheduled', 'Appointment/lost/_history/2 appointment.rescheduled', 'Appointment/lost/_history/3 appointment.scheduled']);
  });

  test('when an older version arrives after a newer one, then it is no move and does not move the start back', async () => {
    const { auth, name } = await aPartner(app.partners);
    await deliver(auth, version('late', 2, '2025-01-11T12:30:00Z'));
    await deliver(auth, version('late', 1, '2025-01-10T12:30:00Z'));
    await deliver(auth, version('late', 3, '2025-01-11T12:30:00Z', 'note changed'));
    expect(await typesOf(name, 'late')).toEqual(['Appointment/late/_history/2 appointment.scheduled', 'Appointment/late/_history/1 appointment.scheduled', 'Appointment/late/_history/3 appointment.scheduled']);
  });

  test('when one notification lists a newer version before an older one, then they are compared in the order they happened', async () => {
    const { auth, name } = await aPartner(app.partners);
    const res = await deliver(auth, aNotification([version('order', 2, '2025-01-11T12:30:00Z'), version('order', 1, '2025-01-10T12:30:00Z')]));
    expect(res.body.events.map((e: { data: { event_type: string } }) => e.data.event_type)).toEqual(['appointment.rescheduled', 'appointment.scheduled']);
    expect((await deliver(auth, version('order', 3, '2025-01-11T12:30:00Z'))).body.events[0].data.event_type).toBe('appointment.scheduled');
    expect(await app.events.countDocuments({ partner: name, appointment_id: 'order' })).toBe(3);
  });

  test('when a notification carries only other resources, then 200 with nothing stored, so the subscription stays healthy', async () => {
    const { auth, name } = await aPartner(app.partners);
    const res = await deliver(auth, aNotification([{ resourceType: 'Patient', id: 'p1' }]));
    expect(res.status).toBe(200);
    expect(res.body.events).toEqual([]);
    expect(await app.events.countDocuments({ partner: name })).toBe(0);
  });

  test('when version 1 is answered before its start is written, then the start is written all the same, and another instance compares version 2 with it', async () => {
    const { auth, name } = await aPartner(app.partners);
    expect((await deliver(auth, version('first', 1, '2025-01-10T12:30:00Z'))).status).toBe(201);
    const stored = () => app.db.client.db(versionKeysDatabaseName(app.db.databaseName)).collection(VERSION_KEYS_COLLECTION).findOne({ _id: startId(name, 'first') as never });
    await eventually(async () => expect(await stored()).toMatchObject({ start: new Date('2025-01-10T12:30:00Z'), previous: null }), 5000);
    // A second instance on the same database: nothing of the first in its memory.
    const other = await startTestApp({ dbName: dbNameFor(__filename) });
    try {
      const moved = await post(`${other.url}/webhook/appointment/fhir`, version('first', 2, '2025-01-12T08:00:00Z'), { 'Content-Type': 'application/fhir+json', ...auth });
      expect(moved.body.events[0].data.event_type).toBe('appointment.rescheduled');
    } finally {
      await other.stop();
    }
  });
});
