import { post } from '../helpers/http';
import { aNotification, anAppointment } from '../helpers/messageBuilders';
import { aPartner } from '../helpers/partners';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

let app: TestApp;
let fhir: string;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename) });
  fhir = `${app.url}/webhook/appointment/fhir`;
});
afterAll(() => app.stop());

const deliver = (who: { auth: Record<string, string> }, body: unknown) => post(fhir, body, { 'Content-Type': 'application/fhir+json', ...who.auth });
const storedOf = (partner: string) => app.events.find({ partner }).sort({ event_id: 1 }).toArray();

describe('a FHIR version names one content', () => {
  test('when an entry reuses a stored version for other content, then the whole notification is refused before anything is written', async () => {
    const partner = await aPartner(app.partners);
    expect((await deliver(partner, anAppointment({ id: 'reuse', comment: 'first' }))).status).toBe(201);
    const res = await deliver(partner, aNotification([anAppointment({ id: 'fresh' }), anAppointment({ id: 'reuse', comment: 'changed' })]));
    expect(res.status).toBe(422);
    expect(res.body.issue).toEqual([expect.objectContaining({ code: 'duplicate', expression: ['Bundle.entry[2].resource.meta.versionId'] })]);
    expect((await storedOf(partner.name)).map((e) => e.appointment_id)).toEqual(['reuse']);
    // The refused notification's other version keeps the content it was sent with, for good.
    expect((await deliver(partner, aNotification([anAppointment({ id: 'fresh' }), anAppointment({ id: 'second' })]))).status).toBe(201);
    expect((await deliver(partner, anAppointment({ id: 'fresh', comment: 'not as first sent' }))).status).toBe(422);
    expect((await storedOf(partner.name)).map((e) => e.appointment_id).sort()).toEqual(['fresh', 'reuse', 'second']);
  });

  test('when a lone Appointment stores a version that a refused notification named with other content, then the stored content holds the version from then on', async () => {
    const partner = await aPartner(app.partners);
    expect((await deliver(partner, anAppointment({ id: 'held' }))).status).toBe(201);
    expect((await deliver(partner, aNotification([anAppointment({ id: 'named', comment: 'first' }), anAppointment({ id: 'held', comment: 'changed' })]))).status).toBe(422);
    expect((await deliver(partner, anAppointment({ id: 'named', comment: 'second' }))).status).toBe(201);
    const res = await deliver(partner, aNotification([anAppointment({ id: 'other' }), anAppointment({ id: 'named', comment: 'first' })]));
    expect(res.status).toBe(422);
    expect(res.body.issue).toEqual([expect.objectContaining({ code: 'duplicate', expression: ['Bundle.entry[2].resource.meta.versionId'] })]);
    expect((await storedOf(partner.name)).map((e) => [e.appointment_id, e.notes])).toEqual([
      ['held', null],
      ['named', 'second'],
    ]);
  });

  test('when a lone Appointment is refused for a version stored with other content, then a notification with that content is refused too, before anything is written', async () => {
    const partner = await aPartner(app.partners);
    expect((await deliver(partner, anAppointment({ id: 'kept', comment: 'first' }))).status).toBe(201);
    expect((await deliver(partner, anAppointment({ id: 'kept', comment: 'changed' }))).status).toBe(422);
    const res = await deliver(partner, aNotification([anAppointment({ id: 'beside' }), anAppointment({ id: 'kept', comment: 'changed' })]));
    expect(res.status).toBe(422);
    expect((await storedOf(partner.name)).map((e) => [e.appointment_id, e.notes])).toEqual([['kept', 'first']]);
  });
});
