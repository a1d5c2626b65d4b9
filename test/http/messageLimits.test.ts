import { send } from '../helpers/http';
import { anAppointment, anSiuMessage } from '../helpers/messageBuilders';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

// The shared limits answered in each format's own terms: a body too large, a partner over its rate.
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename), config: { bodyLimitBytes: 4096, rateLimitPerSecond: 1, rateLimitBurst: 2 } });
});
afterAll(() => app.stop());

const hl7 = (text: string) => send(`${app.url}/webhook/appointment/hl7v2`, { method: 'POST', headers: { ...app.auth, 'Content-Type': 'application/hl7-v2' }, body: text });
const fhir = (body: unknown) => send(`${app.url}/webhook/appointment/fhir`, { method: 'POST', headers: { ...app.auth, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(body) });

describe('limits on the HL7 v2 and FHIR routes', () => {
  test('when a body is over the limit, then 413 comes as an AR acknowledgement and as an OperationOutcome', async () => {
    const big = await hl7(anSiuMessage({ note: 'x'.repeat(5000) }).text);
    expect(big.status).toBe(413);
    expect(big.text).toMatch(/\rMSA\|AR\|/);
    expect(big.text).toContain('|value_error.body.max_size|');
    const bigFhir = await fhir(anAppointment({ comment: 'x'.repeat(5000) }));
    expect(bigFhir.status).toBe(413);
    expect(bigFhir.body.issue[0]).toMatchObject({ code: 'too-long', details: { coding: [expect.objectContaining({ code: 'value_error.body.max_size' })] } });
  });

  test('when the partner is over its rate, then 429 with Retry-After and RateLimit headers, in each format', async () => {
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof hl7>> | undefined;
    for (let i = 0; i < 6 && !limited; i++) {
      const res = await hl7(anSiuMessage().text);
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(limited?.status).toBe(429);
    expect(limited?.text).toMatch(/\rMSA\|AR\|/);
    expect(limited?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited?.headers.get('ratelimit')).toBeTruthy();
    const fhirLimited = await fhir(anAppointment());
    expect(fhirLimited.status).toBe(429);
    expect(fhirLimited.body.issue[0]).toMatchObject({ code: 'throttled' });
    // Every request before the refusal was stored: the limit, not the message, refused it.
    expect(statuses.slice(0, -1).every((status) => status === 201)).toBe(true);
  });
});
