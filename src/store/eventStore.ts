import { MongoBulkWriteError, type Collection, type Db, type WriteError } from 'mongodb';
import { AppError } from '../errors';
import { DUPLICATE_KEY, toAppError } from './dbErrors';
import {
  toEventAccepted,
  toUnnumberedDocument,
  type AppointmentEvent,
  type EventAccepted,
  type EventDocument,
  type Idempotency,
  type EventSource,
  type Mode,
  type UnnumberedEvent,
} from './eventDocument';
import { RecentMap } from '../recentMap';
import type { ArrivalLog } from './feedArrivals';
import { sequence, type Sequence } from './sequences';
import { EVENT_ID_BLOCKS_COLLECTION, EVENT_ID_LEASES_COLLECTION, eventIdLeases, highestLeasedBefore, TEST_EVENT_ID_BLOCKS_COLLECTION, TEST_EVENT_ID_LEASES_COLLECTION, type EventIdLeases, type NumberingStats } from './eventIdLeases';
import { WaitBudget } from './waitBudget';
import { EventWriter, type EventWriterOptions, type InsertOutcome, type SequencedInsertPort, type WriteResult } from './eventWriter';

export const EVENTS_COLLECTION = 'appointment_events';
/** Test-mode events: the same documents, apart from live ones (no consumer read or feed looks here). */
export const TEST_EVENTS_COLLECTION = 'test_appointment_events';
/** The sequence holding the hint of the highest event_id taken. */
export const EVENT_ID_SEQUENCE = 'event_id';
const TEST_EVENT_ID_SEQUENCE = 'test_event_id';

export interface SavedEvent {
  accepted: EventAccepted;
  /** True when this delivery repeated an event already stored; `accepted` is that event's reply. */
  replayed: boolean;
}

export interface EventStore {
  /**
   * Stores the event once per idempotency key. Resolves once it is stored and acknowledged, or
   * with the stored event for a repeat; rejects with an AppError otherwise (422 when the key was
   * used for a different event, 503 when the database does not confirm within `timeoutMs`).
   */
  saveEvent(event: AppointmentEvent, receivedAt: Date, partner: string, idempotency: Idempotency, timeoutMs?: number, source?: EventSource, eventType?: Promise<AppointmentEvent['event_type']>): Promise<SavedEvent>;
  /** Events waiting for a database write now, the most there have been, and the bound. */
  queueStats(): { queued: number; peak: number; limit: number };
  /** Numbering figures since start: leases taken, numbers found taken, attempts made again. */
  numbering(): NumberingStats;
  /** Brings the event_id hint up to date, before the database client closes. */
  flush(): Promise<void>;
}

export interface EventStoreOptions {
  timeoutMs: number;
  /** Events per insert at most; 1 turns batching off (for benchmarks). */
  maxBatch?: number;
  /** Events waiting for a write at most; past it, 503 at once. */
  maxQueued?: number;
  /** Acknowledged events remembered for answering retries without a write (default 10,000). */
  recentEvents?: number;
  onInsert?: EventWriterOptions['onInsert'];
  onQueueFull?: EventWriterOptions['onQueueFull'];
  /** Told every event stored, for the feed (where it reads arrivals; see feedArrivals.ts). */
  arrivals?: ArrivalLog;
  /** Test-mode events go to their own collection and event_id sequence (default live). */
  mode?: Mode;
  /** Where the event_id leases are kept (default: beside the events; see stores.ts). */
  leasesDb?: Db;
}

export async function openEventStore(db: Db, options: EventStoreOptions): Promise<EventStore> {
  const mode = options.mode ?? 'live';
  const events = db.collection<EventDocument>(mode === 'test' ? TEST_EVENTS_COLLECTION : EVENTS_COLLECTION);
  await ensureIndexes(events);
  const hint = sequence(db, mode === 'test' ? TEST_EVENT_ID_SEQUENCE : EVENT_ID_SEQUENCE);
  // The first block ever starts above every event stored, numbers reserved in the hint, and
  // numbers leased by a build before blocks.
  const leasesDb = options.leasesDb ?? db;
  const [blocks, before] = mode === 'test' ? [TEST_EVENT_ID_BLOCKS_COLLECTION, TEST_EVENT_ID_LEASES_COLLECTION] : [EVENT_ID_BLOCKS_COLLECTION, EVENT_ID_LEASES_COLLECTION];
  const highestBefore = async () => Math.max(await hint.read(), await scanHighest(events), await highestLeasedBefore(leasesDb, before));
  const leases = eventIdLeases(leasesDb, blocks, highestBefore);
  await leases.prepare();
  const port = insertPort(events, hint, leases, options.arrivals);
  // Event types still being decided (FHIR bookings or moves), settled while their events queue.
  const decisions = new WeakMap<UnnumberedEvent, Promise<void>>();
  const onConflict = (retried: boolean) => void ((leases.stats.conflicts += 1), retried && (leases.stats.retries += 1));
  const writer = new EventWriter(port, { ...options, classify: toAppError, ready: (doc) => decisions.get(doc), onConflict });
  // Identical deliveries racing on this instance share one write, and all get its result.
  const inFlight = new Map<string, Promise<WriteResult>>();
  // Events this instance saw acknowledged lately: a retry of one is answered from here, without
  // the write queue, so a burst of retries cannot hold up other partners' new events.
  const recent = new RecentMap<string, EventDocument>(options.recentEvents ?? 10_000);

  function answer(doc: EventDocument, idempotency: Idempotency, replayed: boolean): SavedEvent {
    if (doc.payload_fingerprint !== idempotency.fingerprint) {
      const header = idempotency.source === 'webhook-id' ? 'webhook-id' : 'idempotency-key';
      throw new AppError('idempotency_key_reused', [
        { loc: ['header', header], msg: 'this key was already used for a different event', type: 'value_error.idempotency_key_reused' },
      ]);
    }
    return { accepted: toEventAccepted(doc, mode), replayed };
  }

  return {
    queueStats: () => writer.queueStats,
    numbering: () => ({ ...leases.stats }),
    async flush() {
      try {
        await options.arrivals?.flush();
      } finally {
        await writer.flushHint();
      }
    },

    async saveEvent(event, receivedAt, partner, idempotency, timeoutMs, source, eventType) {
      const known = recent.touch(idempotency.key);
      if (known) return answer(known, idempotency, true);
      let write = inFlight.get(idempotency.key);
      const joined = write !== undefined;
      if (!write) {
        const doc = toUnnumberedDocument(event, receivedAt, partner, idempotency, source);
        if (eventType) decisions.set(doc, eventType.then((type) => void (doc.event_type = type)));
        write = writer.write(doc, timeoutMs);
        inFlight.set(idempotency.key, write);
        void write.then(
          ({ doc }) => {
            inFlight.delete(idempotency.key);
            // Acknowledged by the database (or read back with majority), and events never change.
            recent.set(idempotency.key, doc);
          },
          () => inFlight.delete(idempotency.key),
        );
      }
      // A delivery that joined another's write still answers within its own time.
      const { doc, replayed } = await (joined && timeoutMs !== undefined ? new WaitBudget(timeoutMs).wait(write) : write);
      return answer(doc, idempotency, replayed || joined);
    },
  };
}

async function ensureIndexes(events: Collection<EventDocument>): Promise<void> {
  // One call per index: FerretDB 1.24 drops the connection when a multi-index createIndexes
  // finds all of them already there, which is every start but the first.
  await events.createIndex({ event_id: 1 }, { name: 'event_id_unique', unique: true });
  await events.createIndex({ idempotency_key: 1 }, { name: 'idempotency_key_unique', unique: true });
  await events.createIndex({ appointment_id: 1, timestamp: 1 }, { name: 'appointment_id_timestamp' });
  await events.createIndex({ patient_id: 1, timestamp: 1 }, { name: 'patient_id_timestamp' });
}

function duplicateIndex(error: WriteError): 'event_id' | 'idempotency_key' | undefined {
  // MongoDB names the index; FerretDB does not, and the writer then looks the key up to find out.
  // The idempotency key is both `_id` and the idempotency_key field (see EventDocument).
  const message = error.errmsg ?? '';
  if (message.includes('idempotency_key_unique') || message.includes('index: _id_')) return 'idempotency_key';
  if (message.includes('event_id_unique')) return 'event_id';
  return undefined;
}

/** The highest event_id among the events themselves: an indexed sort on MongoDB, a scan on FerretDB. */
async function scanHighest(events: Collection<EventDocument>): Promise<number> {
  const top = await events.findOne({}, { sort: { event_id: -1 }, projection: { _id: 0, event_id: 1 } });
  return top?.event_id ?? 0;
}

/** Gives the hint its first value from the events themselves; a migration runs it once per database. */
export async function seedEventIdHint(db: Db): Promise<void> {
  await sequence(db, EVENT_ID_SEQUENCE).raise(await scanHighest(db.collection<EventDocument>(EVENTS_COLLECTION)));
}

// Majority reads (a repeat gets 201 only for a durable event), by `_id`. Events from before `_id` held the key have it only in the
// field, which the local database must scan for: the writer looks there only after an insert was refused on the key.
const majority = { readConcern: { level: 'majority' as const }, projection: { _id: 0 } };
function insertPort(events: Collection<EventDocument>, hint: Sequence, leases: EventIdLeases, arrivals: ArrivalLog | undefined): SequencedInsertPort {
  return {
    lease: () => leases.lease(),
    skip: (first, last) => arrivals?.skip(first, last),
    recordHighest: (highest) => hint.raise(highest),
    async findByIdempotencyKey(key) {
      return (await events.findOne({ _id: key }, majority)) ?? (await events.findOne({ idempotency_key: key }, majority));
    },
    async insertOrdered(docs): Promise<InsertOutcome> {
      try {
        await events.insertMany(docs, { ordered: true });
        arrivals?.add(docs);
        return { inserted: docs.length };
      } catch (err) {
        // A write error on one document is a definite outcome; anything else (including an unmet
        // write concern, where the documents may be written but are not yet durable) is not.
        if (!(err instanceof MongoBulkWriteError) || err.result.getWriteConcernError()) throw err;
        const writeErrors: WriteError[] = ([] as WriteError[]).concat(err.writeErrors);
        const first = writeErrors[0];
        if (!first) throw err;
        arrivals?.add(docs.slice(0, first.index));
        return first.code === DUPLICATE_KEY
          ? { inserted: first.index, failure: { kind: 'duplicate', index: duplicateIndex(first) } }
          : { inserted: first.index, failure: { kind: 'rejected', cause: err } };
      }
    },
  };
}
