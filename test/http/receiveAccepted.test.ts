import { spawnSync } from 'node:child_process';
import { anEvent, codePoints } from '../helpers/builders';
import { scenarioExamples } from '../helpers/spec';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename) });
});
afterAll(() => app.stop());
beforeEach(() => app.clear());

async function storedOnly() {
  const docs = await app.events.find({}).toArray();
  expect(docs).toHaveLength(1);
  return docs[0]!;
}

describe('POST /webhook/appointment with a valid event', () => {
  test.each(scenarioExamples())('when the guide scenario "%s" is sent, then it is stored and answered 201 exactly as the guide shows', async (_name, event) => {
    const before = Date.now();
    const res = await app.post(event);

    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['data', 'event_id', 'message', 'received_at', 'status']);
    expect(res.body).toMatchObject({
      status: 'success',
      message: 'Event received and stored successfully',
      data: { event_type: event.event_type, appointment_id: event.appointment_id, patient_id: event.patient_id },
    });
    expect(Object.keys(res.body.data).sort()).toEqual(['appointment_id', 'event_type', 'patient_id']);
    expect(Number.isInteger(res.body.event_id) && res.body.event_id > 0).toBe(true);
    expect(res.body.received_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    expect(Date.parse(res.body.received_at)).toBeGreaterThanOrEqual(before - 1);
    expect(res.headers.get('x-request-id')).toBeTruthy();

    const doc = await storedOnly();
    const { _id, idempotency_key, payload_fingerprint, ...stored } = doc;
    expect(_id).toBeDefined();
    expect(idempotency_key).toMatch(/^[0-9a-f]{64}$/);
    expect(payload_fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(stored).toEqual({
      event_id: res.body.event_id,
      event_type: event.event_type,
      appointment_id: event.appointment_id,
      patient_id: event.patient_id,
      timestamp: new Date(event.timestamp as string),
      timestamp_text: event.timestamp,
      notes: event.notes,
      received_at: new Date(res.body.received_at),
      partner: app.partner,
    });
  });

  test('when the payload is what the guide\'s Python example sends (microseconds, notes None), then it is stored', async () => {
    // The guide's own expressions, run by Python: datetime.utcnow().isoformat() + "Z", and json= of the dict.
    const python = spawnSync('python3', ['-c', [
      'import json, datetime, warnings',
      'warnings.simplefilter("ignore")',
      'ts = datetime.datetime(2025, 1, 10, 12, 30, 0, 123456).isoformat() + "Z"',
      'print(json.dumps({"event_type": "appointment.scheduled", "appointment_id": "A12345", "patient_id": "P8765", "timestamp": ts, "notes": None}))',
    ].join('\n')], { encoding: 'utf8' });
    expect(python.status).toBe(0);
    const body = python.stdout.trim();
    expect(body).toContain('"timestamp": "2025-01-10T12:30:00.123456Z"');
    expect(body).toContain('"notes": null');

    const res = await app.post(body);

    expect(res.status).toBe(201);
    const doc = await storedOnly();
    expect(doc.timestamp_text).toBe('2025-01-10T12:30:00.123456Z');
    expect(doc.timestamp).toEqual(new Date('2025-01-10T12:30:00.123Z'));
    expect(doc.notes).toBeNull();
  });

  test('when the payload is what the guide\'s Node example sends (toISOString, notes null), then it is stored', async () => {
    const now = new Date();
    const body = JSON.stringify({
      event_type: 'appointment.cancelled',
      appointment_id: 'A12345',
      patient_id: 'P8765',
      timestamp: now.toISOString(),
      notes: null,
    });

    const res = await app.post(body);

    expect(res.status).toBe(201);
    const doc = await storedOnly();
    expect(doc.timestamp).toEqual(now);
    expect(doc.timestamp_text).toBe(now.toISOString());
    expect(doc.notes).toBeNull();
  });

  test('when notes is left out, then it is stored as null', async () => {
    const { notes: _notes, ...event } = anEvent();
    expect((await app.post(event)).status).toBe(201);
    expect((await storedOnly()).notes).toBeNull();
  });

  test('when unknown fields are sent, then they are neither stored nor echoed', async () => {
    const res = await app.post(anEvent({ insurance_number: 'INS-1', nested: { a: 1 } }));

    expect(res.status).toBe(201);
    expect(res.text).not.toContain('INS-1');
    const doc = await storedOnly();
    expect(Object.keys(doc).sort()).toEqual(
      ['_id', 'appointment_id', 'event_id', 'event_type', 'idempotency_key', 'notes', 'partner', 'patient_id', 'payload_fingerprint', 'received_at', 'timestamp', 'timestamp_text'],
    );
  });

  test('when the URL carries query parameters the contract does not define, then they are ignored', async () => {
    const res = await app.post(anEvent(), {}, `${app.endpoint}?source=ehr&token=abc`);
    expect(res.status).toBe(201);
    expect(res.text).not.toContain('ehr');
    await storedOnly();
  });

  test.each([
    ['UTC', '2025-01-10T12:30:00Z', '2025-01-10T12:30:00.000Z'],
    ['UTC offset', '2025-01-10T12:30:00+00:00', '2025-01-10T12:30:00.000Z'],
    ['Eastern time', '2025-01-10T08:30:00-04:00', '2025-01-10T12:30:00.000Z'],
    ['milliseconds', '2025-01-10T12:30:00.123Z', '2025-01-10T12:30:00.123Z'],
    ['nanoseconds', '2025-01-10T12:30:00.123456789+05:30', '2025-01-10T07:00:00.123Z'],
    ['29 February of a leap year', '2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['the last second of a day', '2016-12-31T23:59:59.999999999Z', '2016-12-31T23:59:59.999Z'],
    ['the largest offsets', '2025-01-10T23:59:59-23:59', '2025-01-11T23:58:59.000Z'],
  ])('when the timestamp is valid (%s), then the exact string and its instant are stored', async (_case, timestamp, instant) => {
    const res = await app.post(anEvent({ timestamp }));

    expect(res.status).toBe(201);
    const doc = await storedOnly();
    expect(doc.timestamp_text).toBe(timestamp);
    expect((doc.timestamp as Date).toISOString()).toBe(instant);
  });

  test.each([
    ['appointment_id', 1, false],
    ['appointment_id', 50, false],
    ['appointment_id', 50, true],
    ['patient_id', 1, false],
    ['patient_id', 50, false],
    ['patient_id', 50, true],
    ['notes', 1000, false],
    ['notes', 1000, true],
    ['notes', 0, false],
  ])('when %s has %i code points (emoji: %s), then it is accepted and stored unchanged', async (field, length, emoji) => {
    const value = codePoints(length, emoji);
    const res = await app.post(anEvent({ [field]: value }));

    expect(res.status).toBe(201);
    expect((await storedOnly())[field]).toBe(value);
  });

  test('when Content-Type carries charset=utf-8, then the event is accepted', async () => {
    const res = await app.post(anEvent(), { 'Content-Type': 'application/json; charset=UTF-8' });
    expect(res.status).toBe(201);
    await storedOnly();
  });

  test('when events arrive one after another, then each gets a larger event_id', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await app.post(anEvent())).body.event_id);
    for (let i = 1; i < ids.length; i++) expect(ids[i]!).toBeGreaterThan(ids[i - 1]!);
    expect(await app.events.countDocuments()).toBe(5);
  });
});
