import type { Collection, Db } from 'mongodb';
import { maxTimeMS, toAppError } from './dbErrors';
import { EVENTS_COLLECTION } from './eventStore';
import { toStoredEvent, type EventDocument, type StoredEvent } from './eventDocument';
import { planEventQuery, READ_INDEXES, type EventQuery, type QueryPlan } from './eventQueryPlan';

export interface EventPage {
  events: StoredEvent[];
  /** The last event_id of this page when another page follows. */
  lastEventId?: number;
}

export interface EventReads {
  /** Each read takes `maxTimeMs`: the database gives up on it after that long. */
  list(query: EventQuery, maxTimeMs: number): Promise<EventPage>;
  /** One event by event_id; null when there is none. */
  get(eventId: number, maxTimeMs: number): Promise<StoredEvent | null>;
  /** Every event of one partner's appointment, in event_id order. */
  appointmentEvents(partner: string, appointmentId: string, maxTimeMs: number): Promise<StoredEvent[]>;
}

const READABLE = { _id: 0, idempotency_key: 0, payload_fingerprint: 0, feed_chunk: 0 } as const;
const MAJORITY = { level: 'majority' } as const;

/**
 * The events as consumers read them. Reads are majority reads: nothing is shown that a
 * failover could take back. `observe` sees every plan sent (tests check index use through it).
 */
export async function openEventReads(db: Db, options: { readIndexes: boolean; observe?: (plan: QueryPlan) => void }): Promise<EventReads> {
  const events = db.collection<EventDocument>(EVENTS_COLLECTION);
  if (options.readIndexes) await createReadIndexes(events);

  async function run(plan: QueryPlan, maxTimeMs: number): Promise<EventDocument[]> {
    options.observe?.(plan);
    try {
      // A hint to an index the database lacks is an error on MongoDB (the local database ignores hints).
      const hint = options.readIndexes ? { hint: plan.hint } : {};
      return await events.find(plan.filter, { projection: READABLE, sort: plan.sort, limit: plan.limit, readConcern: MAJORITY, maxTimeMS: maxTimeMS(maxTimeMs), ...hint }).toArray();
    } catch (err) {
      throw toAppError(err);
    }
  }

  return {
    async list(query, maxTimeMs) {
      // One more than asked for tells whether another page follows, without counting.
      const docs = await run(planEventQuery({ ...query, limit: query.limit + 1 }), maxTimeMs);
      const page = docs.slice(0, query.limit);
      const more = docs.length > query.limit;
      return { events: page.map(toStoredEvent), ...(more ? { lastEventId: page[page.length - 1]!.event_id } : {}) };
    },
    async get(eventId, maxTimeMs) {
      const [doc] = await run({ filter: { event_id: eventId }, sort: { event_id: 1 }, hint: 'events_by_id', limit: 1 }, maxTimeMs);
      return doc ? toStoredEvent(doc) : null;
    },
    async appointmentEvents(partner, appointmentId, maxTimeMs) {
      const plan = planEventQuery({ partners: [partner], appointmentId, order: 'asc', limit: 0 });
      return (await run(plan, maxTimeMs)).map(toStoredEvent);
    },
  };
}

/**
 * Created only where the database uses them: the local database (FerretDB on SQLite) answers
 * every query by scanning whatever indexes exist, yet each one still costs every insert.
 */
async function createReadIndexes(events: Collection<EventDocument>): Promise<void> {
  for (const [name, key] of Object.entries(READ_INDEXES)) await events.createIndex(key, { name });
}
