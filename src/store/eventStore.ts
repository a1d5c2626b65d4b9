import { MongoBulkWriteError, type Collection, type Db, type WriteError } from 'mongodb';
import { AppError } from '../errors';
import type { Idempotency } from '../idempotency';
import { DUPLICATE_KEY, toAppError } from './dbErrors';
import {
  toEventAccepted,
  toUnnumberedDocument,
  type AppointmentEvent,
  type EventAccepted,
  type EventDocument,
} from './eventDocument';
import { EventWriter, type EventWriterOptions, type InsertOutcome, type SequencedInsertPort, type WriteResult } from './eventWriter';

export const EVENTS_COLLECTION = 'appointment_events';

export interface SavedEvent {
  accepted: EventAccepted;
  /** True when this delivery repeated an event already stored; `accepted` is that event's reply. */
  replayed: boolean;
}

export interface EventStore {
  /**
   * Stores the event once per idempotency key. Resolves once it is stored and acknowledged, or
   * with the stored event for a repeat; rejects with an AppError otherwise (422 when the key was
   * used for a different event).
   */
  saveEvent(event: AppointmentEvent, receivedAt: Date, partner: string, idempotency: Idempotency): Promise<SavedEvent>;
}

export interface EventStoreOptions {
  timeoutMs: number;
  /** Events per insert at most; 1 turns batching off (for benchmarks). */
  maxBatch?: number;
  onInsert?: EventWriterOptions['onInsert'];
}

export async function openEventStore(db: Db, options: EventStoreOptions): Promise<EventStore> {
  const events = db.collection<EventDocument>(EVENTS_COLLECTION);
  await ensureIndexes(events);
  const writer = new EventWriter(insertPort(events), { ...options, classify: toAppError });
  // Identical deliveries racing on this instance share one write, and all get its result.
  const inFlight = new Map<string, Promise<WriteResult>>();

  return {
    async saveEvent(event, receivedAt, partner, idempotency) {
      let write = inFlight.get(idempotency.key);
      const joined = write !== undefined;
      if (!write) {
        write = writer.write(toUnnumberedDocument(event, receivedAt, partner, idempotency));
        inFlight.set(idempotency.key, write);
        void write.then(
          () => inFlight.delete(idempotency.key),
          () => inFlight.delete(idempotency.key),
        );
      }
      const { doc, replayed } = await write;
      if (doc.payload_fingerprint !== idempotency.fingerprint) {
        const header = idempotency.source === 'webhook-id' ? 'webhook-id' : 'idempotency-key';
        throw new AppError('idempotency_key_reused', [
          { loc: ['header', header], msg: 'this key was already used for a different event', type: 'value_error.idempotency_key_reused' },
        ]);
      }
      return { accepted: toEventAccepted(doc), replayed: replayed || joined };
    },
  };
}

async function ensureIndexes(events: Collection<EventDocument>): Promise<void> {
  await giveOlderEventsAKey(events);
  // One call per index: FerretDB 1.24 drops the connection when a multi-index createIndexes
  // finds all of them already there, which is every start but the first.
  await events.createIndex({ event_id: 1 }, { name: 'event_id_unique', unique: true });
  await events.createIndex({ idempotency_key: 1 }, { name: 'idempotency_key_unique', unique: true });
  await events.createIndex({ appointment_id: 1, timestamp: 1 }, { name: 'appointment_id_timestamp' });
  await events.createIndex({ patient_id: 1, timestamp: 1 }, { name: 'patient_id_timestamp' });
}

/**
 * Events stored before idempotency keys existed have none; a unique index counts every missing
 * key as the same value, so each gets one of its own (FerretDB has no partial indexes).
 */
async function giveOlderEventsAKey(events: Collection<EventDocument>): Promise<void> {
  const older = events.find({ idempotency_key: { $exists: false } }, { projection: { _id: 1, event_id: 1 } });
  for await (const doc of older) {
    await events.updateOne({ _id: doc._id }, { $set: { idempotency_key: `legacy:${doc.event_id}`, payload_fingerprint: '' } });
  }
}

function duplicateIndex(error: WriteError): 'event_id' | 'idempotency_key' | undefined {
  // MongoDB names the index; FerretDB does not, and the writer then looks the key up to find out.
  const message = error.errmsg ?? '';
  if (message.includes('idempotency_key_unique')) return 'idempotency_key';
  if (message.includes('event_id_unique')) return 'event_id';
  return undefined;
}

function insertPort(events: Collection<EventDocument>): SequencedInsertPort {
  return {
    async highestEventId() {
      const top = await events.findOne({}, { sort: { event_id: -1 }, projection: { _id: 0, event_id: 1 } });
      return top?.event_id ?? 0;
    },
    async findByIdempotencyKey(key) {
      // Majority read: a repeat is answered 201 only for an event that is durably stored.
      return events.findOne({ idempotency_key: key }, { readConcern: { level: 'majority' }, projection: { _id: 0 } });
    },
    async insertOrdered(docs): Promise<InsertOutcome> {
      try {
        await events.insertMany(docs, { ordered: true });
        return { inserted: docs.length };
      } catch (err) {
        // A write error on one document is a definite outcome; anything else (including an unmet
        // write concern, where the documents may be written but are not yet durable) is not.
        if (!(err instanceof MongoBulkWriteError) || err.result.getWriteConcernError()) throw err;
        const writeErrors: WriteError[] = ([] as WriteError[]).concat(err.writeErrors);
        const first = writeErrors[0];
        if (!first) throw err;
        return first.code === DUPLICATE_KEY
          ? { inserted: first.index, failure: { kind: 'duplicate', index: duplicateIndex(first) } }
          : { inserted: first.index, failure: { kind: 'rejected', cause: err } };
      }
    },
  };
}
