import { generateApiKey } from '../../src/auth/credentials';
import { aPartner } from '../helpers/partners';
import { anEvent } from '../helpers/builders';
import { post, type Reply } from '../helpers/http';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({
    dbName: dbNameFor(__filename),
    // Slow refill, so a burst sent one request after another is not topped up while it runs.
    config: { rateLimitPerSecond: 1, rateLimitBurst: 10, unauthenticatedRatePerSecond: 1, unauthenticatedBurst: 3 },
  });
});
afterAll(() => app.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const newPartner = (ratePerSecond?: number) => aPartner(app.partners, { ratePerSecond });

async function burst(count: number, headers: Record<string, string>): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (let i = 0; i < count; i++) replies.push(await post(app.endpoint, anEvent(), headers));
  return replies;
}

function expect429(res: Reply, policy: string) {
  expect(res.status).toBe(429);
  expect(res.body.status).toBe('error');
  expect(res.body.message).toBe('Too many requests');
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(res.headers.get('ratelimit-policy')).toBe(policy);
  expect(res.headers.get('ratelimit')).toMatch(/;r=0;t=\d+$/);
}

describe('rate limits', () => {
  test('when a partner sends its burst, then each 201 carries RateLimit, the next gets 429 with Retry-After and is not stored, and a second later it may send again', async () => {
    const partner = await newPartner();
    const replies: Reply[] = [];
    for (let i = 0; i < 30 && replies.at(-1)?.status !== 429; i++) {
      replies.push(await post(app.endpoint, anEvent({ appointment_id: `burst-${i}` }), partner.auth));
    }
    const refused = replies.at(-1)!;
    const accepted = replies.slice(0, -1);
    // The burst of 10, plus at most the odd token refilled (1/s) while a slow machine sends it.
    expect(accepted.length).toBeGreaterThanOrEqual(10);
    expect(accepted.length).toBeLessThanOrEqual(12);
    expect(accepted.every((r) => r.status === 201)).toBe(true);
    expect(accepted[0]!.headers.get('ratelimit-policy')).toBe('"partner";q=10;w=10');
    expect(accepted[0]!.headers.get('ratelimit')).toMatch(/^"partner";r=9;t=\d+$/);

    expect429(refused, '"partner";q=10;w=10');
    expect(refused.body.errors[0]).toMatchObject({ type: 'rate_limit_exceeded', ctx: { limit_per_second: 1, burst: 10 } });
    expect(await app.events.countDocuments({ appointment_id: `burst-${accepted.length}` })).toBe(0);
    expect(await app.events.countDocuments({ partner: partner.name })).toBe(accepted.length);

    await sleep(Number(refused.headers.get('retry-after')) * 1000 + 50);
    expect((await post(app.endpoint, anEvent(), partner.auth)).status).toBe(201);
  });

  test('when a partner has its own rate, then its bucket is that rate with bursts of twice it', async () => {
    const slow = await newPartner(1);
    const replies = await burst(3, slow.auth);
    expect(replies.map((r) => r.status)).toEqual([201, 201, 429]);
    expect429(replies[2]!, '"partner";q=2;w=2');
  });

  test('when one partner is throttled, then another is not', async () => {
    const [noisy, quiet] = [await newPartner(1), await newPartner()];
    await burst(3, noisy.auth);
    expect((await post(app.endpoint, anEvent(), quiet.auth)).status).toBe(201);
  });

  test('when an address keeps failing authentication, then it gets 429 before its keys are looked at, and recovers', async () => {
    const valid = await newPartner();
    const wrong = { Authorization: `Bearer ${generateApiKey()}` };
    const replies = await burst(4, wrong);
    expect(replies.map((r) => r.status)).toEqual([401, 401, 401, 429]);
    expect429(replies[3]!, '"unauthenticated";q=3;w=3');
    expect(replies[3]!.body.errors[0]).toMatchObject({ loc: ['client'], type: 'rate_limit_exceeded' });
    // The address is slowed whatever key it shows, so a correct guess is not told apart.
    expect((await post(app.endpoint, anEvent(), valid.auth)).status).toBe(429);
    expect(await app.events.countDocuments({ partner: valid.name })).toBe(0);

    await sleep(1100);
    expect((await post(app.endpoint, anEvent(), valid.auth)).status).toBe(201);
  });
});
