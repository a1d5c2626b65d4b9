import { Metrics } from '../../src/metrics';
import { anEvent } from '../helpers/builders';
import { eventually } from '../helpers/eventually';
import { post, type Reply } from '../helpers/http';
import { startOwnDatabase, type OwnDatabase } from '../helpers/ownDatabase';
import { aPartner } from '../helpers/partners';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

// Two instances on one database of this file's own, which a test kills. A partner may send 3 at
// once, refilled so slowly (one every 20 s) that no test sees a refill. An event with an unknown
// type is refused (422) only after its rate limit allowed it, without a database write.
const POLICY = '"partner";q=3;w=60';
let db: OwnDatabase;
const metrics = [new Metrics(), new Metrics()];
const apps: TestApp[] = [];
beforeAll(async () => {
  db = await startOwnDatabase('limits');
  for (const m of metrics) apps.push(await startTestApp({ dbName: dbNameFor(__filename), uri: db.uri, metrics: m, config: { rateLimitPerSecond: 0.05, rateLimitBurst: 3 } }));
});
afterAll(async () => {
  for (const app of apps) await app.stop();
  await db.remove();
});

const allowedButInvalid = (app: TestApp, auth: Record<string, string>) => post(app.endpoint, anEvent({ event_type: 'appointment.moved' }), auth);

async function statuses(app: TestApp, auth: Record<string, string>, count: number): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (let i = 0; i < count; i++) replies.push(await allowedButInvalid(app, auth));
  return replies;
}

const gauge = async (m: Metrics) => (await m.registry.getSingleMetric('webhook_rate_limit_shared')!.get()).values[0]?.value;
const localDecisions = async (m: Metrics) => (await m.registry.getSingleMetric('webhook_rate_limit_local_decisions_total')!.get()).values[0]?.value ?? 0;

describe('partner rate limits across instances', () => {
  test('when two instances share a database, then a partner has one allowance: what it spent at one, the other refuses', async () => {
    const partner = await aPartner(apps[0]!.partners);
    const first = await statuses(apps[0]!, partner.auth, 3);
    expect(first.map((r) => r.status)).toEqual([422, 422, 422]);
    const refused = await allowedButInvalid(apps[1]!, partner.auth);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit-policy')).toBe(POLICY);
    expect(refused.headers.get('ratelimit')).toMatch(/^"partner";r=0;t=\d+$/);
    expect(refused.headers.get('retry-after')).toBe(/;t=(\d+)$/.exec(refused.headers.get('ratelimit')!)![1]);
    expect(await Promise.all(metrics.map(gauge))).toEqual([1, 1]);
  });

  test('when the database is down, then each instance limits the partner alone, to its own bucket, and says so in webhook_rate_limit_shared; once it is back, the limit is shared again', async () => {
    const partner = await aPartner(apps[0]!.partners);
    // Each instance learns the key (and spends one of the three the partner has in all).
    for (const app of apps) expect((await allowedButInvalid(app, partner.auth)).status).toBe(422);
    const localBefore = await Promise.all(metrics.map(localDecisions));

    await db.kill();
    let during: number[][];
    try {
      during = [];
      for (const app of apps) during.push((await statuses(app, partner.auth, 3)).map((r) => r.status));
      expect(await Promise.all(metrics.map(gauge))).toEqual([0, 0]);
    } finally {
      await db.restart();
    }
    // Shared, one more request would have been allowed in all; alone, each instance allows what its own bucket has left.
    expect(during).toEqual([
      [422, 422, 429],
      [422, 422, 429],
    ]);
    const localAfter = await Promise.all(metrics.map(localDecisions));
    expect(localAfter.map((n, i) => n - localBefore[i]!)).toEqual([3, 3]);

    await eventually(async () => {
      for (const app of apps) await allowedButInvalid(app, partner.auth);
      expect(await Promise.all(metrics.map(gauge))).toEqual([1, 1]);
    }, 15_000);
  });
});
