import type { components } from '../../generated/openapi';
import { timeKey, type DeliveryRecord } from './deliveryDocument';

type Summary = components['schemas']['OperatorSummary'];
type Counts = { -readonly [K in keyof components['schemas']['DeliveryCounts']]: components['schemas']['DeliveryCounts'][K] };
type Mode = components['schemas']['Mode'];

/** The counts' time step: five minutes, so a day is 288 documents per partner and mode. */
const STEP_SECONDS = 300 as const;
export const STEP_MS = STEP_SECONDS * 1000;
export const HOUR_STEPS = 12;
export const DAY_STEPS = 288;

/** Counts of one partner and mode over one step, as stored in `delivery_stats`. */
export interface StatsDocument {
  /** `<step start, ms, 13 digits>|<partner>|<mode>` (empty when unknown): one document per group and step. */
  _id: string;
  start: Date;
  partner: string | null;
  mode: Mode | null;
  accepted?: number;
  replayed?: number;
  refused?: number;
  failed?: number;
  /** Refused deliveries per error type; a type's dots are stored as `~` (a dot would nest the field). */
  types?: Record<string, number>;
}

export interface StatsIncrement {
  _id: string;
  start: Date;
  partner: string | null;
  mode: Mode | null;
  inc: Record<string, number>;
}

/** What became of a delivery, as the counts tell it: every 4xx is a refusal. */
export function deliveryOutcome(doc: Pick<DeliveryRecord, 'status' | 'replayed'>): 'accepted' | 'replayed' | 'refused' | 'failed' {
  if (doc.status >= 500) return 'failed';
  if (doc.status >= 400) return 'refused';
  return doc.replayed ? 'replayed' : 'accepted';
}

/** What a batch of records adds to the counts: one increment per step, partner and mode. */
export function statsIncrements(docs: readonly DeliveryRecord[]): StatsIncrement[] {
  const groups = new Map<string, StatsIncrement>();
  for (const doc of docs) {
    const startMs = Math.floor(doc.received_at.getTime() / STEP_MS) * STEP_MS;
    const start = new Date(startMs);
    const _id = `${timeKey(start)}|${doc.partner ?? ''}|${doc.mode ?? ''}`;
    let group = groups.get(_id);
    if (!group) groups.set(_id, (group = { _id, start, partner: doc.partner, mode: doc.mode, inc: {} }));
    const kind = deliveryOutcome(doc);
    group.inc[kind] = (group.inc[kind] ?? 0) + 1;
    if (kind === 'refused') {
      // A refusal counts once per error type it carried.
      for (const type of new Set(doc.errors.map((e) => e.type))) {
        const field = `types.${type.replaceAll('.', '~')}`;
        group.inc[field] = (group.inc[field] ?? 0) + 1;
      }
    }
  }
  return [...groups.values()];
}

/** Adds increments to those already waiting, one per step, partner and mode. */
export function mergeIncrements(into: Map<string, StatsIncrement>, increments: readonly StatsIncrement[]): void {
  for (const increment of increments) {
    const found = into.get(increment._id);
    if (!found) {
      into.set(increment._id, { ...increment, inc: { ...increment.inc } });
      continue;
    }
    for (const [field, n] of Object.entries(increment.inc)) found.inc[field] = (found.inc[field] ?? 0) + n;
  }
}

const zero = (): Counts => ({ accepted: 0, replayed: 0, refused: 0, failed: 0, success_rate: null });

function add(counts: Counts, doc: StatsDocument): void {
  counts.accepted += doc.accepted ?? 0;
  counts.replayed += doc.replayed ?? 0;
  counts.refused += doc.refused ?? 0;
  counts.failed += doc.failed ?? 0;
}

function withRate(counts: Counts): Counts {
  const total = counts.accepted + counts.replayed + counts.refused + counts.failed;
  return { ...counts, success_rate: total === 0 ? null : (counts.accepted + counts.replayed) / total };
}

/** The first step of the last `steps` steps up to now (the current, partial one included). */
export function windowStart(now: Date, steps: number): Date {
  return new Date((Math.floor(now.getTime() / STEP_MS) - steps + 1) * STEP_MS);
}

/**
 * The operator summary from the step documents of the last day: every active partner's live
 * row (zeros when quiet) and a row for any other partner, mode or unnamed client that sent.
 */
export function summarise(docs: readonly StatsDocument[], activePartners: readonly string[], now: Date): Summary {
  const hourStart = windowStart(now, HOUR_STEPS).getTime();
  const dayStart = windowStart(now, DAY_STEPS).getTime();
  const rows = new Map<string, { partner: string | null; mode: Mode | null; hour: Counts; day: Counts }>();
  const row = (partner: string | null, mode: Mode | null) => {
    const key = `${partner ?? ''}|${mode ?? ''}`;
    let found = rows.get(key);
    if (!found) rows.set(key, (found = { partner, mode, hour: zero(), day: zero() }));
    return found;
  };
  for (const name of activePartners) row(name, 'live');
  const types = new Map<string, { hour: number; day: number }>();
  for (const doc of docs) {
    const start = doc.start.getTime();
    if (start < dayStart) continue;
    const inHour = start >= hourStart;
    // Stored nulls may come back as absent fields.
    const r = row(doc.partner ?? null, doc.mode ?? null);
    add(r.day, doc);
    if (inHour) add(r.hour, doc);
    for (const [field, count] of Object.entries(doc.types ?? {})) {
      const type = field.replaceAll('~', '.');
      const t = types.get(type) ?? { hour: 0, day: 0 };
      t.day += count;
      if (inHour) t.hour += count;
      types.set(type, t);
    }
  }
  const order = (p: string | null, m: Mode | null) => `${p === null ? '\uffff' : p}|${m === 'test' ? 1 : m === null ? 2 : 0}`;
  return {
    generated_at: now.toISOString(),
    step_seconds: STEP_SECONDS,
    partners: [...rows.values()]
      .sort((a, b) => (order(a.partner, a.mode) < order(b.partner, b.mode) ? -1 : 1))
      .map((r) => ({ partner: r.partner, mode: r.mode, last_hour: withRate(r.hour), last_day: withRate(r.day) })),
    refusals: [...types.entries()]
      .sort(([a, x], [b, y]) => y.day - x.day || (a < b ? -1 : 1))
      .map(([type, t]) => ({ type, last_hour: t.hour, last_day: t.day })),
  };
}
