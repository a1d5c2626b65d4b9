import { createHash } from 'node:crypto';
import type { components } from '../generated/openapi';
import { normalisedInstant } from './timestamp';

type AppointmentEvent = components['schemas']['AppointmentEvent'];

/** What makes two deliveries the same event, and what they must agree on. */
export interface Idempotency {
  /** Digest of partner + key: unique in the database, so a repeat can never be stored twice. */
  key: string;
  /** Digest of the normalised payload: a repeat under the same key must match it. */
  fingerprint: string;
  source: 'idempotency-key' | 'webhook-id' | 'payload';
}

function digest(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export function payloadFingerprint(partner: string, event: AppointmentEvent): string {
  return digest([partner, event.event_type, event.appointment_id, event.patient_id, normalisedInstant(event.timestamp), event.notes ?? null]);
}

/** Accepts the IETF draft's structured-field string ("…") as well as a bare token. */
export function unquote(key: string): string {
  return key.length >= 2 && key.startsWith('"') && key.endsWith('"') ? key.slice(1, -1) : key;
}

/**
 * The key a delivery is deduplicated by: the Idempotency-Key header, else the webhook-id of a
 * signed request, else the payload itself (an identical payload from one partner is one event).
 */
export function idempotencyOf(partner: string, event: AppointmentEvent, explicit: { idempotencyKey?: string; webhookId?: string }): Idempotency {
  const fingerprint = payloadFingerprint(partner, event);
  if (explicit.idempotencyKey !== undefined) {
    return { key: digest([partner, 'key', unquote(explicit.idempotencyKey)]), fingerprint, source: 'idempotency-key' };
  }
  if (explicit.webhookId !== undefined) {
    return { key: digest([partner, 'key', explicit.webhookId]), fingerprint, source: 'webhook-id' };
  }
  return { key: digest([partner, 'payload', fingerprint]), fingerprint, source: 'payload' };
}
