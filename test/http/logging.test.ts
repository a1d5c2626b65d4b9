import { generateSigningSecret } from '../../src/auth/credentials';
import { anEvent } from '../helpers/builders';
import { aPartner } from '../helpers/partners';
import { signedHeaders } from '../helpers/signing';
import { post, send } from '../helpers/http';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

const PATIENT = 'PATIENT-7f3a9c';
const NOTES = 'NOTE-diabetes-follow-up-e1b2';

let app: TestApp;
let failing: TestApp;
beforeAll(async () => {
  const dbName = dbNameFor(__filename);
  app = await startTestApp({ dbName });
  failing = await startTestApp({ dbName, wrapStore: (store) => ({ ...store, saveEvent: () => Promise.reject(new Error('boom')) }) });
});
afterAll(async () => {
  await app.stop();
  await failing.stop();
});

// Each test reads only the log lines of its own requests.
beforeEach(() => Promise.all([app.clear(), failing.clear()]));

function parsed(lines: string[]) {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('logs', () => {
  test('when requests succeed, fail validation, are malformed, unknown or crash, then patient_id, notes and API keys never reach a log line', async () => {
    const event = anEvent({ patient_id: PATIENT, notes: NOTES });
    const replies = await Promise.all([
      app.post(event),
      app.post({ ...event, event_type: 'nope', timestamp: PATIENT }),
      app.post(`{"patient_id": "${PATIENT}", "notes": "${NOTES}"`),
      app.post(event, {}, `${app.url}/patients/${PATIENT}`),
      send(`${app.endpoint}?patient_id=${PATIENT}&notes=${NOTES}`, { method: 'GET' }),
      failing.post(event),
    ]);
    expect(replies.map((r) => r.status)).toEqual([201, 422, 400, 404, 405, 500]);

    const lines = [...app.logs, ...failing.logs];
    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const line of lines) {
      expect(line).not.toContain(PATIENT);
      expect(line).not.toContain(NOTES);
      expect(line).not.toContain(app.apiKey);
      expect(line).not.toContain(failing.apiKey);
    }
  });

  test('when a request is answered, then one JSON line carries its request id, status and level by class', async () => {
    const ok = await app.post(anEvent());
    const keyed = await app.post(anEvent(), { 'Idempotency-Key': 'log-key-1' });
    const bad = await app.post(anEvent({ event_type: 'nope' }));

    const logs = parsed(app.logs);
    expect(logs.filter((l) => l.req_id === ok.headers.get('x-request-id'))).toHaveLength(1);
    expect(logs.find((l) => l.req_id === ok.headers.get('x-request-id'))).toMatchObject({ level: 30, status: 201, operation: 'receiveAppointmentEvent', event_id: ok.body.event_id, idempotency: 'payload' });
    // What the delivery was deduplicated by is logged; never the key itself.
    const keyedLine = logs.find((l) => l.req_id === keyed.headers.get('x-request-id'));
    expect(keyedLine).toMatchObject({ status: 201, idempotency: 'idempotency-key' });
    expect(JSON.stringify(keyedLine)).not.toContain('log-key-1');
    expect(logs.find((l) => l.req_id === bad.headers.get('x-request-id'))).toMatchObject({
      level: 40,
      status: 422,
      error: 'invalid_payload',
      problems: [{ loc: ['body', 'event_type'], type: 'type_error.enum' }],
    });
  });

  test.each([
    ['a patient id', PATIENT],
    ['an API key', 'apptwh_' + 'k'.repeat(43)],
    ['something unusable', `${PATIENT} with spaces and more`],
  ])('when a client sends its own X-Request-Id (%s), then the service uses an id of its own, and the client\'s value reaches no log', async (_case, offered) => {
    const res = await app.post(anEvent(), { 'X-Request-Id': offered });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(app.logs.length).toBeGreaterThan(0);
    for (const line of app.logs) expect(line).not.toContain(offered);
    expect(parsed(app.logs).some((l) => l.req_id === res.headers.get('x-request-id'))).toBe(true);
  });

  test('when a known partner is refused after its key was recognised (bad signature, rate limit), then the log line names the partner', async () => {
    const signer = await aPartner(app.partners, { signing: true });
    const body = JSON.stringify(anEvent());
    const badSignature = await post(app.endpoint, body, { ...signer.auth, ...signedHeaders(generateSigningSecret(), body) });
    expect(badSignature.status).toBe(401);
    const line = parsed(app.logs).find((l) => l.req_id === badSignature.headers.get('x-request-id'));
    expect(line).toMatchObject({ status: 401, partner: signer.name });
  });
});
