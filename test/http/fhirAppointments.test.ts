import { Metrics } from '../../src/metrics';
import { startId } from '../../src/store/appointmentStarts';
import { VERSION_KEYS_COLLECTION, versionKeysDatabaseName } from '../../src/store/versionKeys';
import { TEST_EVENTS_COLLECTION } from '../../src/store/eventStore';
import { aConsumer, read } from '../helpers/consumers';
import { post, send } from '../helpers/http';
import { aNotification, anAppointment } from '../helpers/messageBuilders';
import { aPartner } from '../helpers/partners';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

let app: TestApp;
let metrics: Metrics;
let fhir: string;
beforeAll(async () => {
  metrics = new Metrics();
  app = await startTestApp({ dbName: dbNameFor(__filename), metrics });
  fhir = `${app.url}/webhook/appointment/fhir`;
});
afterAll(() => app.stop());

const deliver = (who: { auth: Record<string, string> }, body: unknown, headers: Record<string, string> = {}) =>
  post(fhir, body, { 'Content-Type': 'application/fhir+json', ...who.auth, ...headers });
const storedOf = (partner: string) => app.events.find({ partner }, { projection: { _id: 0, idempotency_key: 0, payload_fingerprint: 0 } }).sort({ event_id: 1 }).toArray();

describe('FHIR R4 Appointments', () => {
  test('when a booked Appointment arrives, then one event is stored with its format and version, and nothing else of the resource', async () => {
    const partner = await aPartner(app.partners);
    const appointment = anAppointment({ id: 'fhir-a1', comment: 'Bring referral letter', patient: 'PAT-77' });
    const res = await deliver(partner, appointment);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      status: 'success',
      message: 'Events received and stored successfully',
      events: [{ event_id: expect.any(Number), received_at: expect.any(String), replayed: false, data: { event_type: 'appointment.scheduled', appointment_id: 'fhir-a1', patient_id: 'PAT-77' } }],
      ignored: [],
    });
    const [stored, ...others] = await storedOf(partner.name);
    expect(others).toEqual([]);
    expect(stored).toMatchObject({ event_type: 'appointment.scheduled', appointment_id: 'fhir-a1', patient_id: 'PAT-77', timestamp_text: '2025-01-06T09:00:00Z', notes: 'Bring referral letter', format: 'fhir', control_id: 'Appointment/fhir-a1/_history/1' });
    // The practitioner, the service type and the start are not kept with the event.
    expect(JSON.stringify(stored)).not.toMatch(/4411|Osei|snomed|394814009|2025-01-10/);
  });

  test('when the same version is sent again, then it is a replay and stored once; a new version with another start is a reschedule', async () => {
    const partner = await aPartner(app.partners);
    const v1 = anAppointment({ id: 'fhir-move', version: '1', start: '2025-01-10T12:30:00Z' });
    const first = await deliver(partner, v1);
    const again = await deliver(partner, v1);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.events[0]).toMatchObject({ event_id: first.body.events[0].event_id, replayed: true });

    const moved = await deliver(partner, anAppointment({ id: 'fhir-move', version: '2', start: '2025-01-15T14:00:00+01:00', lastUpdated: '2025-01-08T16:20:00Z' }));
    expect(moved.body.events[0].data.event_type).toBe('appointment.rescheduled');
    // The same instant in another offset is no move; a resend of version 2 is still its replay.
    const restated = await deliver(partner, anAppointment({ id: 'fhir-move', version: '3', start: '2025-01-15T13:00:00Z', lastUpdated: '2025-01-08T17:00:00Z' }));
    expect(restated.body.events[0].data.event_type).toBe('appointment.scheduled');
    const resent = await deliver(partner, anAppointment({ id: 'fhir-move', version: '2', start: '2025-01-15T14:00:00+01:00', lastUpdated: '2025-01-08T16:20:00Z' }));
    expect(resent.body.events[0]).toMatchObject({ event_id: moved.body.events[0].event_id, replayed: true, data: { event_type: 'appointment.rescheduled' } });
    expect((await storedOf(partner.name)).map((e) => e.event_type)).toEqual(['appointment.scheduled', 'appointment.rescheduled', 'appointment.scheduled']);
    expect(await app.db.client.db(versionKeysDatabaseName(app.db.databaseName)).collection(VERSION_KEYS_COLLECTION).countDocuments({ _id: startId(partner.name, 'fhir-move') as never })).toBe(1);
  });

  test('when a notification carries three appointments, then all are stored in entry order, and its resend replays all three', async () => {
    const partner = await aPartner(app.partners);
    const notification = aNotification([
      anAppointment({ id: 'n-1', status: 'booked' }),
      anAppointment({ id: 'n-2', status: 'cancelled' }),
      anAppointment({ id: 'n-3', status: 'fulfilled' }),
    ]);
    const res = await deliver(partner, notification);
    expect(res.status).toBe(201);
    expect(res.body.events.map((e: { data: { event_type: string } }) => e.data.event_type)).toEqual(['appointment.scheduled', 'appointment.cancelled', 'appointment.completed']);
    const ids = res.body.events.map((e: { event_id: number }) => e.event_id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    const resent = await deliver(partner, notification);
    expect(resent.headers.get('idempotent-replayed')).toBe('true');
    expect(resent.body.events.map((e: { event_id: number }) => e.event_id)).toEqual(ids);
    expect(await app.events.countDocuments({ partner: partner.name })).toBe(3);
  });

  test('when one entry of a notification is wrong, then nothing of it is stored and the OperationOutcome names the entry', async () => {
    const partner = await aPartner(app.partners);
    const noPatient = { ...anAppointment({ id: 'bad-2' }), participant: [{ actor: { reference: 'Practitioner/1' }, status: 'accepted' }] };
    const res = await deliver(partner, aNotification([anAppointment({ id: 'good-1' }), noPatient]));
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/fhir+json; charset=utf-8');
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue).toEqual([expect.objectContaining({ severity: 'error', code: 'required', expression: ['Bundle.entry[2].resource.participant'] })]);
    expect(res.body.issue[0].details.coding[0].code).toBe('value_error.missing');
    expect(await app.events.countDocuments({ partner: partner.name })).toBe(0);
  });

  test('when a value breaks the event rules, then it is refused at the FHIR element it came from', async () => {
    const partner = await aPartner(app.partners);
    const res = await deliver(partner, anAppointment({ comment: 'x'.repeat(1001) }));
    expect(res.status).toBe(422);
    expect(res.body.issue).toEqual([expect.objectContaining({ expression: ['Appointment.comment'], details: expect.objectContaining({ coding: [expect.objectContaining({ code: 'value_error.any_str.max_length' })] }) })]);
  });

  test('when the resource breaks the declared structure, then the schema refuses it with the element named', async () => {
    const partner = await aPartner(app.partners);
    const res = await deliver(partner, { ...anAppointment(), status: 'postponed' });
    expect(res.status).toBe(422);
    expect(res.body.issue).toEqual([expect.objectContaining({ expression: ['Appointment.status'], details: expect.objectContaining({ coding: [expect.objectContaining({ code: 'type_error.enum' })] }) })]);
    const notBundle = await deliver(partner, { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: anAppointment() }] });
    expect(notBundle.status).toBe(422);
    expect(notBundle.body.issue.map((i: { expression?: string[] }) => i.expression)).toEqual([['Bundle.type']]);
  });

  test('when a handshake or only not-yet-booked appointments arrive, then 200 and nothing is stored', async () => {
    const partner = await aPartner(app.partners);
    const handshake = await deliver(partner, aNotification([], 'handshake'));
    expect(handshake.status).toBe(200);
    expect(handshake.body).toEqual({ status: 'success', message: 'Nothing to store', events: [], ignored: [] });
    const pending = await deliver(partner, aNotification([anAppointment({ status: 'pending' }), anAppointment({ status: 'arrived' })]));
    expect(pending.status).toBe(200);
    expect(pending.body.ignored).toEqual([
      { loc: ['entry', 1, 'resource', 'status'], status: 'pending' },
      { loc: ['entry', 2, 'resource', 'status'], status: 'arrived' },
    ]);
    expect(await app.events.countDocuments({ partner: partner.name })).toBe(0);
  });

  test('when the partner names an identifier system, then the appointment id is that identifier', async () => {
    const partner = await aPartner(app.partners, { inputs: { fhirIdentifierSystem: 'https://ehr.example/appointment-id' } });
    const res = await deliver(partner, anAppointment({ identifier: { system: 'https://ehr.example/appointment-id', value: 'EHR-991' } }));
    expect(res.body.events[0].data.appointment_id).toBe('EHR-991');
    const without = await deliver(partner, anAppointment());
    expect(without.status).toBe(422);
    expect(without.body.issue[0].expression).toEqual(['Appointment.identifier']);
  });

  test('when the request is not authenticated, not FHIR JSON, or not JSON at all, then the refusal is an OperationOutcome too', async () => {
    const unauthenticated = await deliver({ auth: {} }, anAppointment());
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('www-authenticate')).toContain('Bearer');
    expect(unauthenticated.body.issue[0]).toMatchObject({ severity: 'error', code: 'security', diagnostics: 'header:authorization' });
    const partner = await aPartner(app.partners);
    const plain = await send(fhir, { method: 'POST', headers: { ...partner.auth, 'Content-Type': 'text/plain' }, body: '{}' });
    expect(plain.status).toBe(415);
    expect(plain.body.issue[0].details.coding[0].code).toBe('value_error.content_type');
    const broken = await send(fhir, { method: 'POST', headers: { ...partner.auth, 'Content-Type': 'application/fhir+json' }, body: '{"resourceType":' });
    expect(broken.status).toBe(400);
    expect(broken.body.resourceType).toBe('OperationOutcome');
  });

  test('when a test key sends an Appointment, then it is stored apart and the reply says so', async () => {
    const tester = await aPartner(app.partners, { mode: 'test' });
    const res = await deliver(tester, anAppointment({ id: 'fhir-test' }));
    expect(res.body.mode).toBe('test');
    expect(await app.db.collection(TEST_EVENTS_COLLECTION).countDocuments({ partner: tester.name, appointment_id: 'fhir-test', format: 'fhir' })).toBe(1);
    expect(await app.events.countDocuments({ partner: tester.name })).toBe(0);
  });

  test('when an Appointment is stored, then consumers read it like any event, its delivery is recorded and counted as fhir, and no log line holds its content', async () => {
    const partner = await aPartner(app.partners);
    const res = await deliver(partner, anAppointment({ id: 'SECRET-APT', patient: 'SECRET-PAT', comment: 'SECRET-NOTE' }));
    const eventId = res.body.events[0].event_id;
    const consumer = await aConsumer(app.stores.consumers);
    const read1 = await read(app.url, `/events/${eventId}`, consumer.auth);
    expect(read1.body).toMatchObject({ event_id: eventId, appointment_id: 'SECRET-APT', patient_id: 'SECRET-PAT', event_type: 'appointment.scheduled' });
    await app.stores.deliveryLog!.flush();
    const page = await send(`${app.url}/webhook/deliveries`, { headers: partner.auth });
    expect(page.body.data[0]).toMatchObject({ operation: 'receiveFhirAppointment', status: 201, event_id: eventId, idempotency: 'message' });
    const counted = (await metrics.registry.getSingleMetric('webhook_deliveries_total')!.get()).values;
    expect(counted.find((v) => v.labels.partner === partner.name && v.labels.format === 'fhir')?.value).toBe(1);
    expect(app.logs.join('\n')).not.toContain('SECRET');
  });
});

describe('FHIR times the calendar lacks', () => {
  test('when meta.lastUpdated names a day its month lacks, then 422 at that element, not a 500 and not a JSON field name', async () => {
    const res = await deliver(app, anAppointment({ lastUpdated: '2025-02-30T09:00:00Z' }));
    expect(res.status).toBe(422);
    expect(res.body.issue).toEqual([expect.objectContaining({ expression: ['Appointment.meta.lastUpdated'], details: expect.objectContaining({ coding: [expect.objectContaining({ code: 'value_error.datetime' })] }) })]);
  });
});
