import { MongoBulkWriteError, type Collection, type Db, type WriteError } from 'mongodb';
import { DUPLICATE_KEY, toAppError } from './dbErrors';
import {
  toEventAccepted,
  toUnnumberedDocument,
  type AppointmentEvent,
  type EventAccepted,
  type EventDocument,
} from './eventDocument';
import { EventWriter, type InsertOutcome, type SequencedInsertPort } from './eventWriter';

export const EVENTS_COLLECTION = 'appointment_events';

export interface EventStore {
  /** Resolves once the event is stored and acknowledged; rejects with an AppError otherwise. */
  saveEvent(event: AppointmentEvent, receivedAt: Date, partner: string): Promise<EventAccepted>;
}

export async function openEventStore(db: Db, options: { timeoutMs: number }): Promise<EventStore> {
  const events = db.collection<EventDocument>(EVENTS_COLLECTION);
  await ensureIndexes(events);
  const writer = new EventWriter(insertPort(events), { timeoutMs: options.timeoutMs, classify: toAppError });
  return {
    async saveEvent(event, receivedAt, partner) {
      return toEventAccepted(await writer.write(toUnnumberedDocument(event, receivedAt, partner)));
    },
  };
}

async function ensureIndexes(events: Collection<EventDocument>): Promise<void> {
  // One call per index: FerretDB 1.24 drops the connection when a multi-index createIndexes
  // finds all of them already there, which is every start but the first.
  await events.createIndex({ event_id: 1 }, { name: 'event_id_unique', unique: true });
  await events.createIndex({ appointment_id: 1, timestamp: 1 }, { name: 'appointment_id_timestamp' });
  await events.createIndex({ patient_id: 1, timestamp: 1 }, { name: 'patient_id_timestamp' });
}

function insertPort(events: Collection<EventDocument>): SequencedInsertPort {
  return {
    async highestEventId() {
      const top = await events.findOne({}, { sort: { event_id: -1 }, projection: { _id: 0, event_id: 1 } });
      return top?.event_id ?? 0;
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
          ? { inserted: first.index, failure: { kind: 'duplicate_id' } }
          : { inserted: first.index, failure: { kind: 'rejected', cause: err } };
      }
    },
  };
}
