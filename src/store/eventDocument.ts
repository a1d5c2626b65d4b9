import type { ObjectId } from 'mongodb';
import type { components } from '../../generated/openapi';
import { instantOf } from '../timestamp';

export type AppointmentEvent = components['schemas']['AppointmentEvent'];
export type EventAccepted = components['schemas']['EventAccepted'];

/** An event as stored in `appointment_events`. Only the fields the spec defines are kept. */
export interface EventDocument {
  /**
   * The idempotency key again (events stored before this existed have an ObjectId): a lookup by
   * `_id` alone is the one query the local database (FerretDB on SQLite) matches without decoding
   * every document (it still reads them all: no query of it uses an index).
   */
  _id?: string | ObjectId;
  event_id: number;
  event_type: AppointmentEvent['event_type'];
  appointment_id: string;
  patient_id: string;
  /** The instant, for queries and ordering. */
  timestamp: Date;
  /** The timestamp exactly as the partner sent it, offset and precision included. */
  timestamp_text: string;
  notes: string | null;
  received_at: Date;
  /** Name of the partner whose key sent the event. */
  partner: string;
  /** Digest of partner and idempotency key; unique, so a repeat is never stored twice. */
  idempotency_key: string;
  /** Digest of partner and normalised payload; a repeat under the same key must match it. */
  payload_fingerprint: string;
  /** The format the event arrived in, when not a JSON event (absent: JSON). */
  format?: 'hl7v2' | 'fhir';
  /** The message's own id for the event (MSH-10; FHIR resource version), never the message itself. */
  control_id?: string;
  /** The feed chunk that lists the event; absent until the feed sequencer places it (store/feed.ts). */
  feed_chunk?: number | null;
}

export type UnnumberedEvent = Omit<EventDocument, 'event_id' | 'feed_chunk'>;

/** What makes a delivery one event, as the domain decided it (see idempotency.ts): digests only. */
export interface Idempotency {
  /** Digest of partner + key: unique in the database, so a repeat can never be stored twice. */
  key: string;
  /** Digest of the normalised payload: a repeat under the same key must match it. */
  fingerprint: string;
  /** Where the key came from, to name the header at fault when a key is reused. */
  source: 'idempotency-key' | 'webhook-id' | 'payload' | 'message';
}

/** The stored fields that come from the event itself. */
type EventFields = Pick<EventDocument, 'event_type' | 'appointment_id' | 'patient_id' | 'timestamp' | 'timestamp_text' | 'notes'>;

/**
 * How each field of the spec's AppointmentEvent is stored. The compiler holds this to the
 * schema's fields, so a field added to the spec does not build until it is decided here.
 */
const STORED = {
  event_type: (e) => ({ event_type: e.event_type }),
  appointment_id: (e) => ({ appointment_id: e.appointment_id }),
  patient_id: (e) => ({ patient_id: e.patient_id }),
  // The instant for queries and ordering, and the text exactly as sent.
  timestamp: (e) => ({ timestamp: instantOf(e.timestamp), timestamp_text: e.timestamp }),
  notes: (e) => ({ notes: e.notes ?? null }),
} as const satisfies { readonly [K in keyof Required<AppointmentEvent>]: (event: AppointmentEvent) => Partial<EventFields> };

/** The event's fields as stored; fields the spec does not define are not kept. */
function storedFields(event: AppointmentEvent): EventFields {
  const { event_type, appointment_id, patient_id, timestamp, notes, ...unused } = STORED;
  // A field added to STORED but not used here does not compile either.
  unused satisfies Record<string, never>;
  return { ...event_type(event), ...appointment_id(event), ...patient_id(event), ...timestamp(event), ...notes(event) };
}

/** Where an event read from another format came from: the format and the message's own id for it. */
export type EventSource = Required<Pick<EventDocument, 'format'>> & Pick<EventDocument, 'control_id'>;

export function toUnnumberedDocument(
  event: AppointmentEvent,
  receivedAt: Date,
  partner: string,
  idempotency: { key: string; fingerprint: string },
  source?: EventSource,
): UnnumberedEvent {
  return {
    _id: idempotency.key,
    ...storedFields(event),
    received_at: receivedAt,
    partner,
    idempotency_key: idempotency.key,
    payload_fingerprint: idempotency.fingerprint,
    // Only what is known: an absent field costs nothing, a null one is stored.
    ...(source && { format: source.format }),
    ...(source?.control_id !== undefined && { control_id: source.control_id }),
  };
}

export type Mode = components['schemas']['Mode'];

export function toEventAccepted(doc: EventDocument, mode: Mode): EventAccepted {
  return {
    status: 'success',
    message: 'Event received and stored successfully',
    event_id: doc.event_id,
    received_at: doc.received_at.toISOString(),
    data: { event_type: doc.event_type, appointment_id: doc.appointment_id, patient_id: doc.patient_id },
    // Live replies stay exactly as the guide has always shown them.
    ...(mode === 'test' ? { mode } : {}),
  };
}

export type StoredEvent = components['schemas']['StoredEvent'];

/** The stored fields of an event, as the read routes show them (nothing of the idempotency digests). */
export type ReadableEvent = Pick<EventDocument, 'event_id' | 'partner' | 'event_type' | 'appointment_id' | 'patient_id' | 'timestamp' | 'timestamp_text' | 'notes' | 'received_at'>;

/** Only the readable fields, for copies kept beside the events (the feed's chunks). */
export function readableEvent(doc: ReadableEvent): ReadableEvent {
  const { event_id, partner, event_type, appointment_id, patient_id, timestamp, timestamp_text, notes, received_at } = doc;
  return { event_id, partner, event_type, appointment_id, patient_id, timestamp, timestamp_text, notes, received_at };
}

export function toStoredEvent(doc: ReadableEvent): StoredEvent {
  return {
    event_id: doc.event_id,
    partner: doc.partner,
    event_type: doc.event_type,
    appointment_id: doc.appointment_id,
    patient_id: doc.patient_id,
    timestamp: doc.timestamp_text,
    notes: doc.notes,
    received_at: doc.received_at.toISOString(),
  };
}
