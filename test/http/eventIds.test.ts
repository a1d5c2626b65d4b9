import { anEvent } from '../helpers/builders';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

const dbName = dbNameFor(__filename);
let first: TestApp;
let second: TestApp;
// What is tested is numbering, not latency: a generous database timeout keeps a machine that is
// busy with other test files from turning a slow acknowledgement into a 503 here.
const config = { dbTimeoutMs: 15_000 };
beforeAll(async () => {
  [first, second] = await Promise.all([startTestApp({ dbName, config }), startTestApp({ dbName, config })]);
});
afterAll(async () => {
  await first.stop();
  await second.stop();
});

/** Each client sends its events one after another; the clients run at the same time. */
async function sendSequentially(app: TestApp, count: number, tag: string) {
  const acks: { eventId: number; sentAt: number; ackedAt: number }[] = [];
  for (let i = 0; i < count; i++) {
    const sentAt = performance.now();
    const res = await app.post(anEvent({ appointment_id: `${tag}-${i}` }));
    expect(res.status).toBe(201);
    acks.push({ eventId: res.body.event_id, sentAt, ackedAt: performance.now() });
  }
  return acks;
}

describe('event_id', () => {
  test('when two instances share one database and take events concurrently, then ids are unique and later events get larger ids', async () => {
    const clients = [
      ...Array.from({ length: 8 }, (_, i) => sendSequentially(first, 40, `concurrent-one-${i}`)),
      ...Array.from({ length: 8 }, (_, i) => sendSequentially(second, 40, `concurrent-two-${i}`)),
    ];
    const acks = (await Promise.all(clients)).flat();

    const ids = acks.map((a) => a.eventId);
    expect(new Set(ids).size).toBe(640);
    // What this test sent, whatever else the database holds.
    const sent = { appointment_id: { $regex: '^concurrent-' } };
    expect(await first.events.countDocuments(sent)).toBe(640);
    const stored = await first.events.distinct('event_id', sent);
    expect(stored.sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));

    // Any event sent after another event's 201 arrived must have a larger id, whichever instance took it.
    const byAck = [...acks].sort((a, b) => a.ackedAt - b.ackedAt);
    const bySend = [...acks].sort((a, b) => a.sentAt - b.sentAt);
    let highestAcked = 0;
    let ackIndex = 0;
    let checked = 0;
    for (const later of bySend) {
      while (ackIndex < byAck.length && byAck[ackIndex]!.ackedAt < later.sentAt) {
        highestAcked = Math.max(highestAcked, byAck[ackIndex]!.eventId);
        ackIndex++;
      }
      if (highestAcked > 0) {
        expect(later.eventId).toBeGreaterThan(highestAcked);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(600);
  });

  test('when an instance restarts, then numbering continues above every id it handed out before', async () => {
    // An instance of this test's own is restarted; the file's two instances stay as they are.
    const stopped = await startTestApp({ dbName, config });
    let before: number;
    try {
      before = (await stopped.post(anEvent())).body.event_id as number;
    } finally {
      await stopped.stop();
    }
    const restarted = await startTestApp({ dbName, config });
    try {
      const after = (await restarted.post(anEvent())).body.event_id as number;
      expect(after).toBeGreaterThan(before);
      expect(await restarted.events.countDocuments({ event_id: after })).toBe(1);
    } finally {
      await restarted.stop();
    }
  });
});
