import { send } from '../helpers/http';
import { anSiuMessage } from '../helpers/messageBuilders';
import { aPartner } from '../helpers/partners';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

let app: TestApp;
let hl7: string;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename) });
  hl7 = `${app.url}/webhook/appointment/hl7v2`;
});
afterAll(() => app.stop());

const deliver = (auth: Record<string, string>, text: string, contentType = 'application/hl7-v2') => send(hl7, { method: 'POST', headers: { 'Content-Type': contentType, ...auth }, body: text });
const fieldsOf = (ack: string, segment: string) => ack.split('\r').find((s) => s.startsWith(`${segment}|`))!.split('|');

describe('what names an HL7 v2 message, and what it may be', () => {
  test('when two sending applications of one partner use the same MSH-10, then each message is its own event', async () => {
    const { auth, name } = await aPartner(app.partners);
    const first = anSiuMessage({ controlId: '1001' });
    const second = anSiuMessage({ controlId: '1001' });
    expect((await deliver(auth, first.text)).status).toBe(201);
    const other = await deliver(auth, second.text.replace('|CLINICSCHED|NORTHSIDE|', '|RADIOLOGY|NORTHSIDE|'));
    expect(other.status).toBe(201);
    expect(other.headers.get('idempotent-replayed')).toBeNull();
    expect(await app.events.countDocuments({ partner: name, control_id: '1001' })).toBe(2);
  });

  test('when a JSON event uses the MSH-10 of a stored message as its Idempotency-Key, then the two never collide', async () => {
    const { auth, name } = await aPartner(app.partners);
    expect((await deliver(auth, anSiuMessage({ controlId: 'K-1' }).text)).status).toBe(201);
    const json = await send(`${app.url}/webhook/appointment`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json', 'Idempotency-Key': 'K-1' },
      body: JSON.stringify({ event_type: 'appointment.cancelled', appointment_id: 'JSON-1', patient_id: 'P1', timestamp: '2025-01-10T12:30:00Z' }),
    });
    expect(json.status).toBe(201);
    expect(await app.events.countDocuments({ partner: name })).toBe(2);
  });

  test('when a live key sends a training message (MSH-11 T), then it is refused AR; a test key stores it and is answered in training', async () => {
    const training = anSiuMessage().text.replace('|P|2.5.1', '|T|2.5.1');
    const live = await deliver(app.auth, training);
    expect(live.status).toBe(422);
    expect(fieldsOf(live.text, 'MSA')[1]).toBe('AR');
    expect(fieldsOf(live.text, 'ERR').slice(2, 4)).toEqual(['MSH^1^11', '202^Unsupported processing id^HL70357']);
    const tester = await aPartner(app.partners, { mode: 'test' });
    const test = await deliver(tester.auth, training);
    expect(test.status).toBe(201);
    expect(fieldsOf(test.text, 'MSH')[10]).toBe('T');
  });
});
