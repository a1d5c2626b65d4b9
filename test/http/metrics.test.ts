import { generateApiKey } from '../../src/auth/credentials';
import { aPartner } from '../helpers/partners';
import { anEvent } from '../helpers/builders';
import { post, send } from '../helpers/http';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

const TOKEN = 'metrics-token-0123456789abcdef';
const dbName = dbNameFor(__filename);
// An app of its own for each test: the counters start at zero, whatever another test sent.
let app: TestApp;
beforeEach(async () => {
  app = await startTestApp({ dbName, config: { metricsToken: TOKEN } });
});
afterEach(() => app.stop());

const scrape = (token?: string) => send(`${app.url}/metrics`, { method: 'GET', headers: token ? { Authorization: `Bearer ${token}` } : {} });

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('GET /metrics', () => {
  test('when the token is missing, wrong, or a partner key, then 401; with the token, then Prometheus text', async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape('wrong-token-0123456789')).status).toBe(401);
    expect((await scrape(app.apiKey)).status).toBe(401);
    const ok = await scrape(TOKEN);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(ok.text).toContain('# TYPE webhook_http_requests_total counter');
    expect(ok.text).toContain('process_resident_memory_bytes');
  });

  test('when requests are accepted, rejected, throttled and replayed, then each is counted by reason, and no patient data appears', async () => {
    const slow = await aPartner(app.partners, { ratePerSecond: 1 });
    const patient = 'PATIENT-METRICS-7731';
    const event = anEvent({ patient_id: patient, notes: 'NOTE-METRICS-SECRET' });

    expect((await app.post(event)).status).toBe(201);
    expect((await app.post(event)).status).toBe(201); // a replay
    expect((await app.post(anEvent({ timestamp: 'yesterday', patient_id: patient }))).status).toBe(422);
    expect((await post(app.endpoint, anEvent(), { Authorization: `Bearer ${generateApiKey()}` })).status).toBe(401);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(app.endpoint, anEvent(), slow.auth)).status);
    expect(statuses).toEqual([201, 201, 429]);

    const text = (await scrape(TOKEN)).text;
    expect(value(text, 'webhook_http_requests_total{operation="receiveAppointmentEvent",status="201",event_type="appointment.scheduled"}')).toBe(4);
    expect(value(text, 'webhook_http_requests_total{operation="receiveAppointmentEvent",status="422",event_type="none"}')).toBe(1);
    expect(value(text, 'webhook_rejections_total{reason="validation",field="body.timestamp"}')).toBe(1);
    expect(value(text, 'webhook_rejections_total{reason="auth",field="none"}')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'webhook_rejections_total{reason="rate_limit",field="none"}')).toBe(1);
    expect(value(text, 'webhook_rejections_total{reason="idempotent_replay",field="none"}')).toBe(1);
    expect(value(text, 'webhook_events_stored_total')).toBe(3);
    expect(value(text, 'webhook_db_write_duration_seconds_count')).toBeGreaterThanOrEqual(3);
    expect(value(text, 'webhook_http_request_duration_seconds_count{operation="receiveAppointmentEvent"}')).toBe(7);
    expect(value(text, 'webhook_db_up')).toBe(1);
    expect(text).not.toContain(patient);
    expect(text).not.toContain('NOTE-METRICS');
  });

  test('when the write queue has been used, then its depth, its peak and the writes it turned away are reported', async () => {
    expect((await app.post(anEvent())).status).toBe(201);
    const text = (await scrape(TOKEN)).text;
    expect(text).toContain('# TYPE webhook_write_queue_events gauge');
    expect(value(text, 'webhook_write_queue_events')).toBe(0);
    expect(value(text, 'webhook_write_queue_peak_events')).toBeGreaterThanOrEqual(1);
    expect(value(text, 'webhook_write_queue_full_total')).toBe(0);
  });

  test('when one address keeps presenting wrong metrics tokens, then it gets 429 before its next guess is compared, and the right token from elsewhere still works', async () => {
    const guarded = await startTestApp({
      dbName,
      config: { metricsToken: TOKEN, unauthenticatedRatePerSecond: 1, unauthenticatedBurst: 3, trustProxy: ['loopback'] },
    });
    try {
      const from = (address: string, token: string) =>
        send(`${guarded.url}/metrics`, { method: 'GET', headers: { Authorization: `Bearer ${token}`, 'X-Forwarded-For': address } });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await from('198.51.100.7', `wrong-token-${i}-0123456789`)).status);
      expect(statuses).toEqual([401, 401, 401, 429]);
      const throttled = await from('198.51.100.7', TOKEN);
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('ratelimit-policy')).toBe('"rejected_metrics_token";q=3;w=3');
      expect(throttled.headers.get('retry-after')).toBe(/;t=(\d+)$/.exec(throttled.headers.get('ratelimit')!)![1]);
      expect((await from('198.51.100.8', TOKEN)).status).toBe(200);
      // Metrics guesses and partner-key guesses have budgets of their own: neither blocks the other.
      const partnerFromThere = await post(guarded.endpoint, anEvent(), { ...guarded.auth, 'X-Forwarded-For': '198.51.100.7' });
      expect(partnerFromThere.status).toBe(201);
      for (let i = 0; i < 4; i++) await post(guarded.endpoint, anEvent(), { Authorization: `Bearer ${generateApiKey()}`, 'X-Forwarded-For': '198.51.100.9' });
      expect((await from('198.51.100.9', TOKEN)).status).toBe(200);
    } finally {
      await guarded.stop();
    }
  });

  test('when no METRICS_TOKEN is configured, then /metrics refuses every request', async () => {
    const closed = await startTestApp({ dbName });
    try {
      expect((await send(`${closed.url}/metrics`, { method: 'GET', headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(401);
    } finally {
      await closed.stop();
    }
  });
});
