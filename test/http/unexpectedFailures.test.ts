import * as clientAddress from '../../src/limits/clientAddress';
import { Metrics } from '../../src/metrics';
import { anEvent } from '../helpers/builders';
import { takeViolations } from '../helpers/contractViolations';
import { send, type Reply } from '../helpers/http';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

// Dependencies that fail in ways no handler expects, injected into the real app. Whatever throws,
// and wherever, the client gets the declared 500 envelope in JSON, the failure is logged once as
// an error, and no patient data reaches the log.
const PATIENT = 'PATIENT-CRASH-5521';
const dbName = dbNameFor(__filename);
const ENVELOPE = { status: 'error', message: 'Internal server error', errors: [] };

function expectEnvelope500(res: Reply) {
  expect(res.status).toBe(500);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.body).toEqual(ENVELOPE);
  expect(res.text).not.toMatch(/<html|<pre|at \/|Error:/i);
  expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
}

/** The log lines of one request, parsed; exactly one is expected per request. */
function linesOf(app: TestApp, res: Reply) {
  return app.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.req_id === res.headers.get('x-request-id'));
}

function expectLoggedOnceWithoutPatientData(app: TestApp, res: Reply) {
  const lines = linesOf(app, res);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ level: 50, status: 500, error: 'internal' });
  expect((lines[0]!.cause as { stack: unknown[] }).stack.length).toBeGreaterThan(0);
  for (const line of app.logs) expect(line).not.toContain(PATIENT);
}

describe('unexpected failures', () => {
  test('when the store throws an error whose message quotes patient data, then 500 envelope, one error line, and the message stays out of the log', async () => {
    const app = await startTestApp({
      dbName,
      wrapStore: (store) => ({ ...store, saveEvent: (event) => Promise.reject(new TypeError(`cannot handle ${event.patient_id}`)) }),
    });
    try {
      const res = await app.post(anEvent({ patient_id: PATIENT }));
      expectEnvelope500(res);
      expectLoggedOnceWithoutPatientData(app, res);
      expect(linesOf(app, res)[0]!.cause).toMatchObject({ name: 'TypeError' });
    } finally {
      await app.stop();
    }
  });

  test('when the partner lookup fails with an error that is not a database error, then 500 envelope, not a 401 and not a crash', async () => {
    const app = await startTestApp({
      dbName,
      wrapPartners: (partners) => ({ ...partners, findByKeyHashes: () => Promise.reject(new RangeError('lookup broke')) }),
    });
    try {
      const res = await app.post(anEvent({ patient_id: PATIENT }));
      expectEnvelope500(res);
      expectLoggedOnceWithoutPatientData(app, res);
    } finally {
      await app.stop();
    }
  });

  test('when a reply cannot be serialised, then the half-built reply is replaced by the 500 envelope, without its headers', async () => {
    const app = await startTestApp({
      dbName,
      wrapStore: (store) => ({
        ...store,
        saveEvent: async (...args) => {
          const saved = await store.saveEvent(...args);
          return { ...saved, replayed: true, accepted: { ...saved.accepted, event_id: BigInt(saved.accepted.event_id) as unknown as number } };
        },
      }),
    });
    try {
      const res = await app.post(anEvent({ patient_id: PATIENT }));
      expectEnvelope500(res);
      expect(res.headers.get('idempotent-replayed')).toBeNull();
      expectLoggedOnceWithoutPatientData(app, res);
      // The reply check saw the body break the contract before sending it failed.
      expect(takeViolations()).toEqual([{ operation: 'receiveAppointmentEvent', status: 201, problems: ['body/event_id must be integer'] }]);
    } finally {
      await app.stop();
    }
  });

  test('when the request context cannot be made, then every request gets the 500 envelope, never Express\'s HTML page', async () => {
    const app = await startTestApp({ dbName });
    const broken = jest.spyOn(clientAddress, 'addressKey').mockImplementation(() => {
      throw new Error('address broke');
    });
    try {
      const event = await app.post(anEvent({ patient_id: PATIENT }));
      const health = await send(`${app.url}/healthz`, { method: 'GET' });
      for (const res of [event, health]) expectEnvelope500(res);
      const failed = app.logs.map((l) => JSON.parse(l) as { msg?: string; level?: number }).filter((l) => l.msg === 'request failed');
      expect(failed).toHaveLength(2);
      for (const line of app.logs) expect(line).not.toContain(PATIENT);
    } finally {
      broken.mockRestore();
      await app.stop();
    }
  });

  test('when counting a finished reply throws, then the reply already sent stands, the failure is logged, and the process serves on', async () => {
    const metrics = new Metrics();
    metrics.requests.inc = () => {
      throw new Error('counter broke');
    };
    const app = await startTestApp({ dbName, metrics });
    try {
      const first = await app.post(anEvent());
      expect(first.status).toBe(201);
      const second = await app.post(anEvent());
      expect(second.status).toBe(201);
      const failures = app.logs.map((l) => JSON.parse(l) as { msg?: string }).filter((l) => l.msg === 'request log line or metrics failed');
      expect(failures.length).toBeGreaterThanOrEqual(2);
    } finally {
      await app.stop();
    }
  });
});
