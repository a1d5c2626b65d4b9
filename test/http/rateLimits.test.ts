// Over 200 lines: one feature, rate limiting, end to end; partner buckets share one app and the burst/429 helpers, the last two blocks need apps of their own and could become a file of their own.
import { generateApiKey, hashApiKey } from '../../src/auth/credentials';
import { aPartner } from '../helpers/partners';
import { anEvent } from '../helpers/builders';
import { post, type Reply } from '../helpers/http';
import { signedHeaders } from '../helpers/signing';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';
import { sleep } from '../helpers/time';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({
    dbName: dbNameFor(__filename),
    // Slow refill, so a burst sent one request after another is not topped up while it runs.
    // Loopback is a trusted proxy here, so each test can speak from an address of its own.
    config: { rateLimitPerSecond: 1, rateLimitBurst: 10, unauthenticatedRatePerSecond: 1, unauthenticatedBurst: 3, trustProxy: ['loopback'] },
  });
});
afterAll(() => app.stop());

let addresses = 0;
/** A client address of its own, as a trusted proxy in front would name it. */
const from = () => ({ 'X-Forwarded-For': `203.0.113.${++addresses}` });

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

  test('when a request whose key was accepted is refused for its content, then the refusal still says where the partner stands', async () => {
    const partner = await newPartner();
    const res = await post(app.endpoint, anEvent({ event_type: 'appointment.moved' }), partner.auth);
    expect(res.status).toBe(422);
    expect(res.headers.get('ratelimit-policy')).toBe('"partner";q=10;w=10');
    expect(res.headers.get('ratelimit')).toMatch(/^"partner";r=9;t=\d+$/);
  });

  test('when one partner is throttled, then another is not', async () => {
    const [noisy, quiet] = [await newPartner(1), await newPartner()];
    await burst(3, noisy.auth);
    expect((await post(app.endpoint, anEvent(), quiet.auth)).status).toBe(201);
  });

  test('when one key keeps being refused, then that key gets 429 from memory, and a valid partner at the same address is not held back', async () => {
    const address = from();
    const valid = await newPartner();
    const wrong = { Authorization: `Bearer ${generateApiKey()}`, ...address };
    const replies = await burst(4, wrong);
    expect(replies.map((r) => r.status)).toEqual([401, 401, 401, 429]);
    expect429(replies[3]!, '"rejected_key";q=3;w=3');
    expect(replies[3]!.body.errors[0]).toMatchObject({ loc: ['header', 'authorization'], type: 'rate_limit_exceeded', ctx: { policy: 'rejected_key' } });
    expect((await post(app.endpoint, anEvent(), { ...valid.auth, ...address })).status).toBe(201);
  });

  test('when an address keeps guessing keys, then it gets 429 once its budget is spent, while valid partners at that address, known or new, are still served', async () => {
    const address = from();
    const known = await newPartner();
    expect((await post(app.endpoint, anEvent(), { ...known.auth, ...address })).status).toBe(201);
    const guesses: Reply[] = [];
    for (let i = 0; i < 4; i++) guesses.push(await post(app.endpoint, anEvent(), { Authorization: `Bearer ${generateApiKey()}`, ...address }));
    expect(guesses.map((r) => r.status)).toEqual([401, 401, 401, 429]);
    expect429(guesses[3]!, '"unauthenticated";q=3;w=3');
    expect(guesses[3]!.body.errors[0]).toMatchObject({ loc: ['client'], type: 'rate_limit_exceeded' });
    // Requests with no key at all spend the same address budget.
    expect429(await post(app.endpoint, anEvent(), address), '"unauthenticated";q=3;w=3');
    // Another address is untouched.
    expect((await post(app.endpoint, anEvent(), { Authorization: `Bearer ${generateApiKey()}`, ...from() })).status).toBe(401);

    const fresh = await newPartner();
    expect((await post(app.endpoint, anEvent(), { ...known.auth, ...address })).status).toBe(201);
    expect((await post(app.endpoint, anEvent(), { ...fresh.auth, ...address })).status).toBe(201);
    expect(await app.events.countDocuments({ partner: { $in: [known.name, fresh.name] } })).toBe(3);

    await sleep(Number(guesses[3]!.headers.get('retry-after')) * 1000 + 50);
    expect((await post(app.endpoint, anEvent(), { Authorization: `Bearer ${generateApiKey()}`, ...address })).status).toBe(401);
  });

  test('when X-Forwarded-For comes from a client that is not a trusted proxy, then it is ignored', async () => {
    const untrusted = await startTestApp({ dbName: `${dbNameFor(__filename)}_untrusted`, config: { unauthenticatedRatePerSecond: 1, unauthenticatedBurst: 2 } });
    try {
      // Each guess claims another address; without TRUST_PROXY they all count against the socket's.
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await post(untrusted.endpoint, anEvent(), { Authorization: `Bearer ${generateApiKey()}`, ...from() })).status);
      expect(statuses).toEqual([401, 401, 429]);
    } finally {
      await untrusted.stop();
    }
  });

  test('when a partner keeps sending bad signatures, then its bad ones get 429, and its correctly signed requests are still stored', async () => {
    const partner = await aPartner(app.partners, { signing: true, ratePerSecond: 1000 });
    const address = from();
    const badly = (body: string) => ({ ...partner.auth, ...address, ...signedHeaders('whsec_' + Buffer.alloc(32, 7).toString('base64'), body) });
    const replies: Reply[] = [];
    for (let i = 0; i < 4; i++) {
      const body = JSON.stringify(anEvent());
      replies.push(await post(app.endpoint, body, badly(body)));
    }
    expect(replies.map((r) => r.status)).toEqual([401, 401, 401, 429]);
    expect429(replies[3]!, '"rejected_signature";q=3;w=3');
    expect(replies[3]!.body.errors[0]).toMatchObject({ loc: ['header', 'webhook-signature'], type: 'rate_limit_exceeded' });

    const body = JSON.stringify(anEvent());
    const good = await post(app.endpoint, body, { ...partner.auth, ...address, ...signedHeaders(partner.secret, body) });
    expect(good.status).toBe(201);
    expect(await app.events.countDocuments({ partner: partner.name })).toBe(1);
  });

  test('when any 429 is sent, then Retry-After equals the seconds RateLimit says until more requests are allowed', async () => {
    const slow = await newPartner(1);
    const partnerLimit = (await burst(3, slow.auth))[2]!;
    const guessLimit = (await burst(4, { Authorization: `Bearer ${generateApiKey()}`, ...from() }))[3]!;
    for (const res of [partnerLimit, guessLimit]) {
      expect(res.status).toBe(429);
      const t = Number(/;t=(\d+)$/.exec(res.headers.get('ratelimit')!)![1]);
      expect(t).toBeGreaterThanOrEqual(1);
      expect(Number(res.headers.get('retry-after'))).toBe(t);
    }
  });
});

describe('the cost of guessing', () => {
  let counted: TestApp;
  let queries = 0;
  let keysRead = 0;
  beforeAll(async () => {
    counted = await startTestApp({
      dbName: `${dbNameFor(__filename)}_counted`,
      config: { unauthenticatedRatePerSecond: 1, unauthenticatedBurst: 10 },
      wrapPartners: (partners) => ({
        ...partners,
        findByKeyHashes: (hashes) => {
          queries += 1;
          keysRead += hashes.length;
          return partners.findByKeyHashes(hashes);
        },
      }),
    });
  });
  afterAll(() => counted.stop());

  test('when 300 requests with different unknown keys arrive at once from one address, then 10 get 401, the rest 429, and the database sees at most the burst of reads plus the slow lane\'s, not 300', async () => {
    const started = performance.now();
    const replies = await Promise.all(
      Array.from({ length: 300 }, () => post(counted.endpoint, anEvent(), { Authorization: `Bearer ${generateApiKey()}` })),
    );
    // The budget refills at 1/s: on a slow machine a few more than the burst may pass.
    const refilled = Math.ceil((performance.now() - started) / 1000);
    const statuses = replies.map((r) => r.status);
    const refused = statuses.filter((s) => s === 401).length;
    expect(refused).toBeGreaterThanOrEqual(10);
    expect(refused).toBeLessThanOrEqual(10 + refilled);
    expect(statuses.filter((s) => s === 429)).toHaveLength(300 - refused);
    // At most one read per request within the budget, plus the slow lane's four a second.
    expect(queries).toBeGreaterThanOrEqual(2);
    expect(queries).toBeLessThanOrEqual(refused + 4 * refilled + 1);
    // Past its budget, one address may have 100 keys waiting to be read at once; the rest get 429 unread.
    expect(keysRead).toBeLessThan(300);
    // The partner the app made for itself is still served from that address.
    expect((await counted.post(anEvent())).status).toBe(201);
  });
});

describe('valid keys beside a flood of guesses', () => {
  let flooded: TestApp;
  const lookedUp: string[] = [];
  beforeAll(async () => {
    flooded = await startTestApp({
      dbName: `${dbNameFor(__filename)}_flooded`,
      // Partners are remembered briefly, so valid keys are read again during the test.
      config: { authCacheTtlMs: 200, unauthenticatedRatePerSecond: 1, unauthenticatedBurst: 3, trustProxy: ['loopback'] },
      wrapPartners: (partners) => ({
        ...partners,
        findByKeyHashes: (hashes) => {
          lookedUp.push(...hashes);
          return partners.findByKeyHashes(hashes);
        },
      }),
    });
  });
  afterAll(() => flooded.stop());

  test('when one address floods unknown keys, then valid keys from it and from another over-budget address are still served, each read once', async () => {
    const sharedAddress = { 'X-Forwarded-For': '192.0.2.10' };
    const otherAddress = { 'X-Forwarded-For': '192.0.2.11' };
    const partner = await aPartner(flooded.partners);
    // Both keys have been used once, so the service knows them (as it knows every key after its
    // next read of the key list); then their cache entries run out.
    expect((await post(flooded.endpoint, anEvent(), flooded.auth)).status).toBe(201);
    expect((await post(flooded.endpoint, anEvent(), partner.auth)).status).toBe(201);
    for (let i = 0; i < 4; i++) await post(flooded.endpoint, anEvent(), { Authorization: `Bearer ${generateApiKey()}`, ...otherAddress });
    await sleep(250);
    lookedUp.length = 0;

    const flood = Promise.all(Array.from({ length: 1000 }, () => post(flooded.endpoint, anEvent(), { Authorization: `Bearer ${generateApiKey()}`, ...sharedAddress })));
    const valid = await Promise.all([
      ...Array.from({ length: 30 }, () => post(flooded.endpoint, anEvent(), { ...flooded.auth, ...sharedAddress })),
      post(flooded.endpoint, anEvent(), { ...partner.auth, ...otherAddress }),
    ]);
    const guesses = await flood;

    expect(valid.map((r) => r.status)).toEqual(Array(31).fill(201));
    expect(guesses.every((r) => r.status === 401 || r.status === 429)).toBe(true);
    // The 30 concurrent requests with one expired key shared a single read.
    expect(lookedUp.filter((hash) => hash === hashApiKey(flooded.apiKey))).toHaveLength(1);
  });
});
