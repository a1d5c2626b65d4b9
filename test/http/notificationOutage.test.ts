import { PENDING_NOTIFICATIONS_COLLECTION, pendingDatabaseName } from '../../src/store/pendingNotifications';
import { eventually } from '../helpers/eventually';
import { post } from '../helpers/http';
import { aNotification, anAppointment } from '../helpers/messageBuilders';
import { startOwnDatabase, type OwnDatabase } from '../helpers/ownDatabase';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';
import { sleep } from '../helpers/time';

// Bounded: at most KILLS outages and SENT_MAX notifications; everything started here is stopped here.
const KILLS = 4;
const SENT_MAX = 400;
const CONCURRENCY = 4;

let db: OwnDatabase;
let app: TestApp;
beforeAll(async () => {
  db = await startOwnDatabase('notification-outage');
  app = await startTestApp({
    dbName: dbNameFor(__filename),
    uri: db.uri,
    // Two events an insert, so each notification of three spans two inserts and a kill can fall
    // between them; a record is left to its request for 10 s, so what a kill cut is seen in part.
    config: { writeBatchMax: 2, dbTimeoutMs: 1000 },
    notificationRecovery: { everyMs: 200, afterMs: 10_000 },
  });
}, 30_000);
afterAll(async () => {
  await app.stop();
  await db.remove();
});

/** How many events of each notification are stored, by its number. */
async function storedCounts(): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const { appointment_id: id } of await app.events.find({}, { projection: { appointment_id: 1 } }).toArray()) {
    const n = Number(/^outage-(\d+)-/.exec(id as string)?.[1]);
    counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  return counts;
}

describe('notifications through a real database outage', () => {
  test('when the database is killed while notifications are written, then once it is back each notification ends stored whole or not at all, and every 201 whole', async () => {
    const replies = new Map<number, number>();
    let sent = 0;
    let sending = true;
    let paused = false;
    let inFlight = 0;
    const sender = async () => {
      while (sending && sent < SENT_MAX) {
        if (paused) {
          await sleep(20);
          continue;
        }
        const n = sent++;
        const body = aNotification(['a', 'b', 'c'].map((x) => anAppointment({ id: `outage-${n}-${x}` })));
        inFlight += 1;
        const res = await post(`${app.url}/webhook/appointment/fhir`, body, { 'Content-Type': 'application/fhir+json', ...app.auth }).catch(() => undefined);
        inFlight -= 1;
        replies.set(n, res?.status ?? 0);
      }
    };
    const senders = Array.from({ length: CONCURRENCY }, sender);

    // Kill the database under load until a kill has left a notification stored in part.
    let inPart = 0;
    for (let kill = 0; kill < KILLS && inPart === 0; kill++) {
      const accepted = [...replies.values()].filter((s) => s === 201).length;
      await eventually(async () => expect([...replies.values()].filter((s) => s === 201).length).toBeGreaterThan(accepted + 10), 20_000);
      await db.kill();
      // No new notification until the database is back and looked at: what is in part then, the kill cut.
      paused = true;
      await eventually(async () => expect(inFlight).toBe(0), 20_000);
      await db.restart();
      inPart = [...(await storedCounts()).values()].filter((count) => count > 0 && count < 3).length;
      paused = false;
    }
    sending = false;
    await Promise.all(senders);
    // The outages did cut notifications mid-way: otherwise this test would prove nothing.
    expect(inPart).toBeGreaterThan(0);
    expect([...replies.values()].some((status) => status === 503)).toBe(true);

    // The service completes what was cut; no sender resends anything.
    await eventually(async () => expect(await app.db.client.db(pendingDatabaseName(app.db.databaseName)).collection(PENDING_NOTIFICATIONS_COLLECTION).countDocuments()).toBe(0), 60_000);
    const counts = await storedCounts();
    const partial = [...counts].filter(([, count]) => count !== 3);
    expect(partial).toEqual([]);
    const acceptedNotStored = [...replies].filter(([n, status]) => status === 201 && counts.get(n) !== 3);
    expect(acceptedNotStored).toEqual([]);
    console.log(`notification outage: ${replies.size} sent, ${[...replies.values()].filter((s) => s === 201).length} accepted, ${inPart} seen in part after a kill, ${counts.size} stored whole after completion`);
  }, 120_000);
});
