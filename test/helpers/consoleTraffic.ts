/**
 * Traffic for the operator console's browser test, and what the console should show for it,
 * worked out from the delivery log in the database rather than from the console's own code.
 */
import type { Document } from 'mongodb';
import { generateApiKey } from '../../src/auth/credentials';
import { fromDeliveryDocument, type DeliveryRecord } from '../../src/store/deliveryDocument';
import { allStoredDeliveries } from '../../src/store/deliveryPacks';
import { anEvent, without } from './builders';
import { eventually } from './eventually';
import { post, type Reply } from './http';
import { aPartner, aTestKey } from './partners';
import type { TestApp } from './testApp';

type Partner = Awaited<ReturnType<typeof aPartner>>;

export interface ConsoleTraffic {
  alpha: Partner;
  beta: Partner;
  gamma: Partner;
  /** Every reply the traffic got, in order. */
  replies: Reply[];
  /** The reply to alpha's first event: appointment `appointmentId` scheduled. */
  scheduled: Reply;
  appointmentId: string;
  /** An event gamma sent with a test key: numbered apart from live events. */
  testDelivery: Reply;
}

/** Every record of the delivery log, whole (as stored, a record leaves out its usual values), oldest first. */
export const loggedRecords = async (app: TestApp): Promise<DeliveryRecord[]> => (await allStoredDeliveries(app.db)).map(fromDeliveryDocument);

/** Waits (bounded) until the delivery log holds `count` records: it writes them in batches about every second. */
export async function flushed(app: TestApp, count: number): Promise<void> {
  await eventually(async () => expect((await loggedRecords(app)).length).toBeGreaterThanOrEqual(count), 10000);
}

/**
 * Three partners, a replay, refusals of several types, and a key that names no partner; each
 * reply's status is checked, and this resolves once the delivery log has written them all.
 */
export async function sendConsoleTraffic(app: TestApp): Promise<ConsoleTraffic> {
  const [alpha, beta, gamma] = await Promise.all(['alpha', 'beta', 'gamma'].map((name) => aPartner(app.partners, { name: `console-${name}-${process.pid}` })));
  if (!alpha || !beta || !gamma) throw new Error('partners were not created');
  const send = (partner: { auth: Record<string, string> }, body: unknown, headers: Record<string, string> = {}) => post(app.endpoint, body, { ...partner.auth, ...headers });
  const replies: Reply[] = [];
  const sent = async (reply: Promise<Reply>, status: number) => {
    const done = await reply;
    expect(done.status).toBe(status);
    replies.push(done);
    return done;
  };
  const appointmentId = `CONSOLE-${process.pid}`;
  const scheduled = await sent(send(alpha, anEvent({ appointment_id: appointmentId, patient_id: 'P-1', timestamp: '2025-03-01T09:00:00Z' })), 201);
  await sent(send(alpha, anEvent({ appointment_id: appointmentId, patient_id: 'P-1', event_type: 'appointment.rescheduled', timestamp: '2025-03-02T09:00:00Z', notes: 'moved' })), 201);
  const repeated = anEvent();
  await sent(send(alpha, repeated, { 'Idempotency-Key': `console-${process.pid}` }), 201);
  const replay = await sent(send(alpha, repeated, { 'Idempotency-Key': `console-${process.pid}` }), 201);
  expect(replay.headers.get('idempotent-replayed')).toBe('true');
  await sent(send(alpha, without(anEvent(), 'patient_id')), 422);
  await sent(send(beta, anEvent()), 201);
  await sent(send(beta, anEvent({ event_type: 'appointment.deleted' })), 422);
  await sent(send(beta, anEvent({ timestamp: 'yesterday' })), 422);
  await sent(send(beta, anEvent()), 201);
  await sent(send(gamma, anEvent()), 201);
  await sent(send(gamma, without(anEvent({ patient_id: 42 }), 'appointment_id')), 422);
  const testDelivery = await sent(send(await aTestKey(app.partners, gamma.name), anEvent()), 201);
  await sent(post(app.endpoint, anEvent(), { Authorization: `Bearer ${generateApiKey()}` }), 401);
  await flushed(app, replies.length);
  return { alpha, beta, gamma, replies, scheduled, appointmentId, testDelivery };
}

/** The request ids of the newest `limit` records of the delivery log that `keep` keeps, newest first. */
export async function newestRequestIds(app: TestApp, limit: number, keep: (record: DeliveryRecord) => boolean = () => true): Promise<string[]> {
  return (await loggedRecords(app))
    .filter(keep)
    .reverse()
    .slice(0, limit)
    .map((record) => record.request_id);
}

const percent = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`);

/** What the partners table should show, worked out from the delivery log itself: per partner and mode. */
export function expectedPartnerRows(records: Document[]): Map<string, Record<string, string>> {
  const groups = new Map<string, { partner: string | null; mode: string | null; accepted: number; replayed: number; refused: number; failed: number }>();
  const since = { last_hour: Date.now() - 3_600_000 };
  for (const record of records) {
    // Every record of this test is minutes old at most: the last hour and the last day are the same.
    expect(record.received_at.getTime()).toBeGreaterThan(since.last_hour);
    const key = `${record.partner ?? ''}|${record.mode ?? ''}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { partner: record.partner, mode: record.mode, accepted: 0, replayed: 0, refused: 0, failed: 0 }));
    if (record.status >= 500) group.failed++;
    else if (record.status >= 400) group.refused++;
    else if (record.replayed) group.replayed++;
    else group.accepted++;
  }
  const rows = new Map<string, Record<string, string>>();
  for (const [key, group] of groups) {
    const total = group.accepted + group.replayed + group.refused + group.failed;
    const cells: Record<string, string> = { partner: group.partner ?? '(no key)', mode: group.mode ?? '—' };
    for (const span of ['last_hour', 'last_day']) {
      for (const field of ['accepted', 'replayed', 'refused', 'failed'] as const) cells[`${span}.${field}`] = String(group[field]);
      cells[`${span}.success_rate`] = percent((group.accepted + group.replayed) / total);
    }
    rows.set(key, cells);
  }
  return rows;
}

/** A partner row with no deliveries (an active partner that sent nothing). */
export function idleRow(partner: string, mode: string): Record<string, string> {
  const cells: Record<string, string> = { partner, mode };
  for (const span of ['last_hour', 'last_day']) {
    for (const field of ['accepted', 'replayed', 'refused', 'failed']) cells[`${span}.${field}`] = '0';
    cells[`${span}.success_rate`] = '—';
  }
  return cells;
}

/** Refused deliveries per error type, a refusal counting once per type it carried. */
export function expectedRefusals(records: Document[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const record of records) {
    if (record.status < 400 || record.status >= 500) continue;
    for (const type of new Set<string>(record.errors.map((error: { type: string }) => error.type))) counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}
