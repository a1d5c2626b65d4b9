import { RATE_LIMIT_LEASES_COLLECTION } from '../../src/store/rateLimitStore';
import { anEvent } from '../helpers/builders';
import { post, type Reply } from '../helpers/http';
import { aPartner } from '../helpers/partners';
import { dbNameFor, startTestApp, testDatabaseUri, type TestApp } from '../helpers/testApp';
import { sleep } from '../helpers/time';
import { startWireTap, type WireTap } from '../helpers/wireTap';

// Modest rates, so a busy two-core machine still sends on time: the partner may send 20/s in
// bursts of 40; it is sent twice that, spread over three instances of the service.
const RATE = 20;
const BURST = 2 * RATE;
const SENT_PER_SECOND = 2 * RATE;
const SECONDS = 5;
const INSTANCES = 3;

// The instances reach the database through a relay that records every command, to count the leases' operations.
let tap: WireTap;
const apps: TestApp[] = [];
// Three instances take longer to start than one: a busy machine gets a minute.
beforeAll(async () => {
  tap = await startWireTap(Number(new URL(testDatabaseUri()).port));
  for (let i = 0; i < INSTANCES; i++) apps.push(await startTestApp({ dbName: dbNameFor(__filename), uri: tap.uri }));
}, 60_000);
afterAll(async () => {
  for (const app of apps) await app.stop();
  await tap.close();
});

/** Commands on the leases' collection (inserts, and the local database's deletes of old ones). */
const leaseOperations = () =>
  tap.commands.filter((command) => ['insert', 'delete', 'find', 'update', 'findAndModify'].some((name) => command[name] === RATE_LIMIT_LEASES_COLLECTION)).length;

describe('rate limits shared by instances', () => {
  test('when three instances on one database are sent twice a partner\'s limit, then together they accept what one limit allows, within 10%, at most one lease operation per request', async () => {
    const partner = await aPartner(apps[0]!.partners, { ratePerSecond: RATE });
    const total = SENT_PER_SECOND * SECONDS;
    const operationsBefore = leaseOperations();
    const replies: Promise<Reply>[] = [];
    const started = performance.now();
    let lastSent = started;
    for (let i = 0; i < total; i++) {
      // Sent on a schedule, not one after another: a slow reply must not slow the sending down.
      const wait = started + (i * 1000) / SENT_PER_SECOND - performance.now();
      if (wait > 0) await sleep(wait);
      lastSent = performance.now();
      replies.push(post(`${apps[i % INSTANCES]!.url}/webhook/appointment`, anEvent({ appointment_id: `shared-${i}` }), partner.auth));
    }
    const statuses = (await Promise.all(replies)).map((reply) => reply.status);
    const operations = leaseOperations() - operationsBefore;

    // What one bucket allows over the time the requests arrived, measured here rather than assumed.
    const seconds = (lastSent - started) / 1000;
    const allowed = BURST + RATE * seconds;
    const accepted = statuses.filter((status) => status === 201).length;
    console.log(`shared rate limits: ${accepted} accepted of ${total} sent in ${seconds.toFixed(2)} s, ${allowed.toFixed(1)} allowed; ${operations} lease operations (${(operations / total).toFixed(2)} a request, ${(operations / accepted).toFixed(2)} an accepted one)`);
    expect(statuses.filter((status) => status !== 201 && status !== 429)).toEqual([]);
    expect(accepted).toBeGreaterThanOrEqual(Math.floor(0.9 * allowed));
    expect(accepted).toBeLessThanOrEqual(Math.ceil(1.1 * allowed));
    expect(await apps[0]!.events.countDocuments({ partner: partner.name })).toBe(accepted);
    expect(operations).toBeGreaterThan(0);
    expect(operations).toBeLessThanOrEqual(total);
  });
});
