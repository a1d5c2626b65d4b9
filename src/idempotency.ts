import { hash } from 'node:crypto';
import type { components } from '../generated/openapi';
import { AppError } from './errors';
import type { Idempotency } from './store/eventDocument';
import { normalisedInstant } from './timestamp';

export type { Idempotency } from './store/eventDocument';

type AppointmentEvent = components['schemas']['AppointmentEvent'];

function digest(parts: unknown[]): string {
  return hash('sha256', JSON.stringify(parts), 'hex');
}

/**
 * What each field of the spec's AppointmentEvent contributes to the fingerprint, in digest order
 * (fixed: stored fingerprints depend on it). The compiler holds this to the schema's fields, so
 * a field added to the spec does not build until it is decided here. A field added later must
 * contribute `undefined` when it is absent, so that events stored before it keep their
 * fingerprints (and their retries stay replays).
 */
const FINGERPRINTED = {
  event_type: (e) => e.event_type,
  appointment_id: (e) => e.appointment_id,
  patient_id: (e) => e.patient_id,
  // The instant, not the text: the same moment in another offset is the same event.
  timestamp: (e) => normalisedInstant(e.timestamp),
  // Omitted and null say the same: nothing.
  notes: (e) => e.notes ?? null,
} as const satisfies { readonly [K in keyof Required<AppointmentEvent>]: (event: AppointmentEvent) => string | null | undefined };

/** The fields the fingerprint covers, in order. */
export const FINGERPRINTED_FIELDS = Object.keys(FINGERPRINTED);

export function payloadFingerprint(partner: string, event: AppointmentEvent): string {
  const parts: (string | null | undefined)[] = Object.values(FINGERPRINTED).map((part) => part(event));
  return digest([partner, ...parts.filter((part) => part !== undefined)]);
}

/**
 * The stored key of an event a partner sent under this key (Idempotency-Key, once unquoted, and
 * webhook-id, as sent, share one namespace).
 */
export function explicitKeyDigest(partner: string, key: string): string {
  return digest([partner, 'key', key]);
}

/** Accepts the IETF draft's structured-field string ("…") as well as a bare token. */
export function unquote(key: string): string {
  return key.length >= 2 && key.startsWith('"') && key.endsWith('"') ? key.slice(1, -1) : key;
}

/**
 * The key a delivery is deduplicated by. A signed request is its signed webhook-id: the
 * signature does not cover Idempotency-Key, so that header may repeat the webhook-id but never
 * stand in for it (a captured request re-sent with another key would otherwise be stored again).
 * Unsigned: the Idempotency-Key header, else the payload itself (an identical payload from one
 * partner is one event). Both explicit keys share one namespace: an Idempotency-Key equal to the
 * webhook-id names the same delivery either way.
 */
export function idempotencyOf(partner: string, event: AppointmentEvent, explicit: { idempotencyKey?: string; webhookId?: string }): Idempotency {
  const fingerprint = payloadFingerprint(partner, event);
  if (explicit.webhookId !== undefined) {
    const key = explicit.idempotencyKey;
    if (key !== undefined && key !== explicit.webhookId && unquote(key) !== explicit.webhookId) {
      throw new AppError('invalid_payload', [
        {
          loc: ['header', 'idempotency-key'],
          msg: 'on a signed request the webhook-id is the idempotency key: send no Idempotency-Key, or the same value',
          type: 'value_error.idempotency_key.mismatch',
        },
      ]);
    }
    return { key: explicitKeyDigest(partner, explicit.webhookId), fingerprint, source: 'webhook-id' };
  }
  if (explicit.idempotencyKey !== undefined) {
    return { key: explicitKeyDigest(partner, unquote(explicit.idempotencyKey)), fingerprint, source: 'idempotency-key' };
  }
  return { key: digest([partner, 'payload', fingerprint]), fingerprint, source: 'payload' };
}

/**
 * The stored key of an event read from an HL7 v2 or FHIR message, by its message key
 * (`hl7v2|<MSH-3>|<MSH-4>|<MSH-10>`, `fhir|Appointment/<id>/_history/<version>`): a namespace of
 * its own, so that no Idempotency-Key, webhook-id or other format's id can ever name it, and a
 * partner finds the event by that text (GET /webhook/events?idempotency_key=).
 */
export function messageKeyDigest(partner: string, messageKey: string): string {
  return digest([partner, 'message', messageKey]);
}

export function messageIdempotency(partner: string, event: AppointmentEvent, messageKey: string): Idempotency {
  return { key: messageKeyDigest(partner, messageKey), fingerprint: payloadFingerprint(partner, event), source: 'message' };
}
