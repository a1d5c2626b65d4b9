import type { Db } from 'mongodb';
import { EVENTS_COLLECTION } from '../../src/store/eventStore';
import { anEvent } from '../helpers/builders';
import { startInstances, type Instances } from '../helpers/instances';
import { dbNameFor, type TestApp } from '../helpers/testApp';
import { sleep } from '../helpers/time';

/*
 * Issue 15, point 5: three instances of the service on one database, one partner, 120 requests
 * a second in all for 5 seconds, spread round-robin over the instances. Before, 44 of 600 got
 * 503 while one instance at the same rate answered none; now no request may fail (5xx) because
 * several instances number events at once, and every 201's event is stored once, with an
 * event_id of its own. Bounded: 600 requests, each with its own deadline.
 */
const INSTANCES = 3;
const RATE_PER_SECOND = 120;
const SECONDS = 5;
const TOTAL = RATE_PER_SECOND * SECONDS;
const REQUEST_DEADLINE_MS = 30_000;

jest.setTimeout(120_000);

let instances: Instances;
let apps: TestApp[] = [];
let db: Db;
const dbName = dbNameFor(__filename);

beforeAll(async () => {
  instances = await startInstances(dbName, INSTANCES);
  ({ apps, db } = instances);
  // One partner, as in the issue, known to every instance (each app made one of its own too).
  const partner = apps[0]!;
  for (const app of apps) app.auth = partner.auth;
});
afterAll(() => instances.stop());

interface Reply {
  status: number;
  eventId?: number;
  /** The event's appointment_id, its own in this run. */
  appointment: string;
}

async function deliver(app: TestApp, key: string): Promise<Reply> {
  const event = anEvent();
  const res = await fetch(app.endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key, ...app.auth },
    body: JSON.stringify(event),
    signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
  });
  const body = (await res.json()) as { event_id?: number };
  return { status: res.status, eventId: res.status === 201 ? body.event_id : undefined, appointment: String(event.appointment_id) };
}

describe('event numbering with several instances', () => {
  test(`when ${INSTANCES} instances share one database at ${RATE_PER_SECOND} requests a second, then no request fails and every 201's event is stored once with its own event_id`, async () => {
    const sent: Promise<Reply>[] = [];
    const started = performance.now();
    for (let i = 0; i < TOTAL; i++) {
      // Paced from the start, so a slow reply does not slow the rate: 120 a second in all.
      const due = started + (i * 1000) / RATE_PER_SECOND;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      sent.push(deliver(apps[i % INSTANCES]!, `scale-out-${i}`));
    }
    const replies = await Promise.all(sent);

    const statuses: Record<number, number> = {};
    for (const { status } of replies) statuses[status] = (statuses[status] ?? 0) + 1;
    const accepted = replies.filter((r) => r.status === 201);
    const stored = await db.collection(EVENTS_COLLECTION).find({}, { projection: { _id: 0, event_id: 1, appointment_id: 1 } }).toArray();
    const byAppointment = new Map(stored.map((d) => [String(d.appointment_id), Number(d.event_id)]));
    const numbering = apps.map((app) => app.stores.numbering());
    const conflicts = numbering.reduce((n, s) => n + s.conflicts, 0);
    const leases = numbering.reduce((n, s) => n + s.leases, 0);
    console.log(
      `scale-out numbering: ${TOTAL} requests over ${INSTANCES} instances, replies ${JSON.stringify(statuses)}; ` +
        `${stored.length} stored in ${leases} leases, ${conflicts} leases lost to another instance (${((1000 * conflicts) / Math.max(1, stored.length)).toFixed(1)} per 1,000 events)`,
    );

    // 201, or 429 had a limit applied (none is set here); never a 5xx, never anything else.
    expect(replies.filter((r) => r.status !== 201 && r.status !== 429)).toEqual([]);
    expect(accepted.length).toBeGreaterThan(0);
    const ids = accepted.map((r) => r.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    // Each acknowledged event is stored with the event_id it was answered with, once.
    for (const reply of accepted) expect(byAppointment.get(reply.appointment)).toBe(reply.eventId);
    expect(byAppointment.size).toBe(stored.length);
    const storedIds = stored.map((d) => Number(d.event_id));
    expect(new Set(storedIds).size).toBe(storedIds.length);
    expect(stored.length).toBe(accepted.length);
  });
});
