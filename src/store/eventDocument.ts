import type { ObjectId } from 'mongodb';
import type { components } from '../../generated/openapi';
import { instantOf } from '../timestamp';

export type AppointmentEvent = components['schemas']['AppointmentEvent'];
export type EventAccepted = components['schemas']['EventAccepted'];

/** An event as stored in `appointment_events`. Only the fields the spec defines are kept. */
export interface EventDocument {
  /**
   * The idempotency key again (events stored before this existed have an ObjectId): a lookup by
   * `_id` alone is the one query the local database (FerretDB on SQLite) serves from an index.
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
}

export type UnnumberedEvent = Omit<EventDocument, 'event_id'>;

export function toUnnumberedDocument(
  event: AppointmentEvent,
  receivedAt: Date,
  partner: string,
  idempotency: { key: string; fingerprint: string },
): UnnumberedEvent {
  return {
    _id: idempotency.key,
    event_type: event.event_type,
    appointment_id: event.appointment_id,
    patient_id: event.patient_id,
    timestamp: instantOf(event.timestamp),
    timestamp_text: event.timestamp,
    notes: event.notes ?? null,
    received_at: receivedAt,
    partner,
    idempotency_key: idempotency.key,
    payload_fingerprint: idempotency.fingerprint,
  };
}

export function toEventAccepted(doc: EventDocument): EventAccepted {
  return {
    status: 'success',
    message: 'Event received and stored successfully',
    event_id: doc.event_id,
    received_at: doc.received_at.toISOString(),
    data: { event_type: doc.event_type, appointment_id: doc.appointment_id, patient_id: doc.patient_id },
  };
}
