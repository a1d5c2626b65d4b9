import { Metrics } from '../../src/metrics';
import { TEST_EVENTS_COLLECTION } from '../../src/store/eventStore';
import { aConsumer, read } from '../helpers/consumers';
import { send } from '../helpers/http';
import { anSiuMessage } from '../helpers/messageBuilders';
import { aPartner } from '../helpers/partners';
import { signedHeaders } from '../helpers/signing';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

let app: TestApp;
let metrics: Metrics;
let hl7: string;
beforeAll(async () => {
  metrics = new Metrics();
  app = await startTestApp({ dbName: dbNameFor(__filename), metrics });
  hl7 = `${app.url}/webhook/appointment/hl7v2`;
});
afterAll(() => app.stop());

const deliver = (who: { auth: Record<string, string> }, text: string | Buffer, headers: Record<string, string> = {}) =>
  send(hl7, { method: 'POST', headers: { 'Content-Type': 'application/hl7-v2', ...who.auth, ...headers }, body: text });

/** The acknowledgement's segments, each split into its fields. */
const segmentsOf = (ack: string) => ack.split('\r').filter((s) => s.length > 0).map((s) => s.split('|'));
const msaOf = (ack: string) => segmentsOf(ack).find((s) => s[0] === 'MSA')!;
const errsOf = (ack: string) => segmentsOf(ack).filter((s) => s[0] === 'ERR');

describe('HL7 v2 SIU messages', () => {
  test('when an S12 arrives, then its event is stored with format and control id, and the acknowledgement is AA with the control id', async () => {
    const partner = await aPartner(app.partners);
    const message = anSiuMessage({ note: 'Bring referral \\T\\ insurance card' });
    const res = await deliver(partner, message.text);
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/hl7-v2; charset=utf-8');
    const [msh] = segmentsOf(res.text);
    expect(msh!.slice(0, 6)).toEqual(['MSH', '^~\\&', 'APPTWH', 'RECEIVER', 'CLINICSCHED', 'NORTHSIDE']);
    expect(msh![8]).toBe('ACK^S12^ACK');
    expect(msh![9]).toBe(res.headers.get('x-request-id'));
    expect(msaOf(res.text).slice(0, 3)).toEqual(['MSA', 'AA', message.controlId]);
    const stored = await app.events.findOne({ partner: partner.name });
    expect(stored).toMatchObject({
      event_type: 'appointment.scheduled',
      appointment_id: message.appointmentId,
      patient_id: message.patientId,
      timestamp_text: '2025-01-06T08:55:00-05:00',
      notes: 'Bring referral & insurance card',
      format: 'hl7v2',
      control_id: message.controlId,
    });
    // Names, birth date, social security number and locations of the message are not kept.
    expect(JSON.stringify(stored)).not.toMatch(/Rivera|19840312|123-45-6789|CLINIC2/);
  });

  test.each([
    ['S13', 'Booked', 'appointment.rescheduled'],
    ['S14', 'Complete', 'appointment.completed'],
    ['S14', 'Noshow', 'appointment.no_show'],
    ['S14', 'Booked', 'appointment.scheduled'],
    ['S15', 'Cancelled', 'appointment.cancelled'],
    ['S17', 'Deleted', 'appointment.cancelled'],
    ['S26', 'Noshow', 'appointment.no_show'],
  ])('when an %s with filler status %s arrives, then it is stored as %s', async (trigger, fillerStatus, eventType) => {
    const res = await deliver(app, anSiuMessage({ trigger, fillerStatus }).text);
    expect(res.status).toBe(201);
    const eventId = Number(/event (\d+)/.exec(msaOf(res.text)[3] ?? '')?.[1]);
    expect(await app.events.findOne({ event_id: eventId })).toMatchObject({ event_type: eventType });
  });

  test('when a message is resent, then it is a replay; the same control id with other content is refused AE', async () => {
    const partner = await aPartner(app.partners);
    const message = anSiuMessage({ separator: '\r\n' });
    const first = await deliver(partner, message.text);
    const again = await deliver(partner, message.text);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(msaOf(again.text)[3]).toBe(msaOf(first.text)[3]);
    const changed = await deliver(partner, anSiuMessage({ controlId: message.controlId, appointmentId: message.appointmentId, note: 'changed' }).text);
    expect(changed.status).toBe(422);
    expect(msaOf(changed.text).slice(1, 3)).toEqual(['AE', message.controlId]);
    expect(errsOf(changed.text)[0]![2]).toMatch(/^MSH\^1\^10/);
    expect(await app.events.countDocuments({ partner: partner.name })).toBe(1);
  });

  test('when the message is wrong, then the ERR segments name each HL7 field at fault and nothing is stored', async () => {
    const partner = await aPartner(app.partners);
    const message = anSiuMessage({ when: '202501060855', patientId: '' });
    const res = await deliver(partner, message.text);
    expect(res.status).toBe(422);
    expect(msaOf(res.text).slice(1, 3)).toEqual(['AE', message.controlId]);
    const locations = errsOf(res.text).map((err) => err[2]!.split('^').slice(0, 3).join('^'));
    expect(locations.sort()).toEqual(['EVN^1^6', 'PID^1^3']);
    expect(await app.events.countDocuments({ partner: partner.name })).toBe(0);
  });

  test('when the message is of an unsupported type or not a message at all, then AR, or AE for text that is no message', async () => {
    const adt = anSiuMessage().text.replace('SIU^S12^SIU_S12', 'ADT^A04^ADT_A01');
    const refused = await deliver(app, adt);
    expect(refused.status).toBe(422);
    expect(msaOf(refused.text)[1]).toBe('AR');
    expect(errsOf(refused.text)[0]![3]).toMatch(/^200\^/);
    const garbage = await deliver(app, 'hello, this is not HL7');
    expect(garbage.status).toBe(400);
    expect(msaOf(garbage.text).slice(1, 3)).toEqual(['AE', '']);
  });

  test('when a value breaks the event rules, then it is refused at the HL7 field it came from', async () => {
    const res = await deliver(app, anSiuMessage({ appointmentId: 'A'.repeat(51) }).text);
    expect(res.status).toBe(422);
    const [err] = errsOf(res.text);
    expect(err![2]).toMatch(/^SCH\^1\^2/);
    expect(err![5]).toMatch(/value_error\.any_str\.max_length/);
  });

  test('when the key is missing, the media type wrong or the body not UTF-8, then the refusal is still an HL7 acknowledgement', async () => {
    const message = anSiuMessage();
    const unauthenticated = await deliver({ auth: {} }, message.text);
    expect(unauthenticated.status).toBe(401);
    expect(msaOf(unauthenticated.text)[1]).toBe('AR');
    expect(unauthenticated.headers.get('www-authenticate')).toContain('Bearer');
    const json = await deliver(app, message.text, { 'Content-Type': 'application/json' });
    expect(json.status).toBe(415);
    expect(msaOf(json.text)[1]).toBe('AR');
    const latin1 = await deliver(app, Buffer.from(message.text.replace('Rivera', 'Müller'), 'latin1'));
    expect(latin1.status).toBe(400);
    expect(msaOf(latin1.text).slice(1, 3)).toEqual(['AE', message.controlId]);
  });

  test('when a signing partner signs a message, then it is stored; the signature is checked over the exact bytes', async () => {
    const signer = await aPartner(app.partners, { signing: true });
    const message = anSiuMessage();
    const signed = await deliver(signer, message.text, signedHeaders(signer.secret, message.text));
    expect(signed.status).toBe(201);
    const tampered = await deliver(signer, message.text.replace('Rivera', 'Rivero'), signedHeaders(signer.secret, message.text));
    expect(tampered.status).toBe(401);
  });

  test('when the partner keeps patient ids under another identifier type, then PID-3 is read by that type', async () => {
    const partner = await aPartner(app.partners, { inputs: { hl7PatientIdType: 'SS' } });
    const res = await deliver(partner, anSiuMessage().text);
    expect(res.status).toBe(201);
    expect(await app.events.findOne({ partner: partner.name })).toMatchObject({ patient_id: '123-45-6789' });
  });

  test('when a test key sends a message, then it is stored apart', async () => {
    const tester = await aPartner(app.partners, { mode: 'test' });
    const res = await deliver(tester, anSiuMessage({ appointmentId: 'HL7-TEST' }).text);
    expect(res.status).toBe(201);
    expect(await app.db.collection(TEST_EVENTS_COLLECTION).countDocuments({ partner: tester.name, appointment_id: 'HL7-TEST' })).toBe(1);
  });

  test('when a message is stored, then consumers read it, its delivery is recorded and counted as hl7v2, and no log line holds its content', async () => {
    const partner = await aPartner(app.partners);
    const message = anSiuMessage({ appointmentId: 'SECRET-APT', patientId: 'SECRET-PAT', note: 'SECRET-NOTE', controlId: 'SECRET-CTRL' });
    const res = await deliver(partner, message.text);
    const eventId = Number(/event (\d+)/.exec(msaOf(res.text)[3] ?? '')?.[1]);
    const consumer = await aConsumer(app.stores.consumers);
    expect((await read(app.url, `/events/${eventId}`, consumer.auth)).body).toMatchObject({ appointment_id: 'SECRET-APT', patient_id: 'SECRET-PAT', notes: 'SECRET-NOTE' });
    await app.stores.deliveryLog!.flush();
    const page = await send(`${app.url}/webhook/deliveries`, { headers: partner.auth });
    expect(page.body.data[0]).toMatchObject({ operation: 'receiveHl7v2Message', status: 201, event_id: eventId, idempotency: 'message' });
    const found = await send(`${app.url}/webhook/events?idempotency_key=${encodeURIComponent('hl7v2|CLINICSCHED|NORTHSIDE|SECRET-CTRL')}`, { headers: partner.auth });
    expect(found.body.event_id).toBe(eventId);
    const counted = (await metrics.registry.getSingleMetric('webhook_deliveries_total')!.get()).values;
    expect(counted.find((v) => v.labels.partner === partner.name && v.labels.format === 'hl7v2')?.value).toBe(1);
    await deliver(partner, anSiuMessage({ patientId: '', note: 'SECRET-REFUSED' }).text);
    expect(app.logs.join('\n')).not.toContain('SECRET');
  });
});

describe('HL7 v2 bodies the spec refuses', () => {
  test('when the body is empty, then 422 AE says it is missing, as the schema declares, and nothing breaks', async () => {
    const res = await deliver(app, '');
    expect(res.status).toBe(422);
    expect(msaOf(res.text)[1]).toBe('AE');
    expect(errsOf(res.text).map((err) => [err[2], err[5]])).toEqual([['', 'value_error.missing']]);
  });
});

describe('HL7 v2 message ids', () => {
  test('when MSH-10 is longer than an id the receiver keeps, then the message is refused AE at MSH-10, not stored under a cut id', async () => {
    const res = await deliver(app, anSiuMessage({ controlId: 'C'.repeat(200) }).text);
    expect(res.status).toBe(422);
    expect(errsOf(res.text).map((err) => [err[2], err[5]])).toEqual([['MSH^1^10', 'value_error.any_str.max_length']]);
    const longest = await deliver(app, anSiuMessage({ controlId: 'C'.repeat(199) }).text);
    expect(longest.status).toBe(201);
  });
});
