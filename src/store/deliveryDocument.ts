import type { components } from '../../generated/openapi';

export type Delivery = components['schemas']['Delivery'];

/** One delivery record as stored in `deliveries`: the API's fields, with the time as a date. */
export interface DeliveryDocument extends Omit<Delivery, 'received_at'> {
  /** `<received_at, ms, 13 digits>-<request_id>`: unique, and sorts by time, so pages go by `_id` alone. */
  _id: string;
  received_at: Date;
}

export function toDeliveryDocument(delivery: Omit<DeliveryDocument, '_id'>): DeliveryDocument {
  return { _id: deliveryKey(delivery.received_at, delivery.request_id), ...delivery };
}

export function deliveryKey(at: Date, requestId: string): string {
  return `${timeKey(at)}-${requestId}`;
}

/** The part of a key that is its time: every key of a record received at or after `at` sorts at or after it. */
export function timeKey(at: Date): string {
  // Thirteen digits span 1970 to 2286; a bound outside them is clamped, so it still sorts right.
  return String(Math.min(Math.max(at.getTime(), 0), 9_999_999_999_999)).padStart(13, '0');
}

/** The record as partners and operators read it: nothing of the storage shows. */
export function toDelivery(doc: DeliveryDocument): Delivery {
  return {
    request_id: doc.request_id,
    received_at: doc.received_at.toISOString(),
    operation: doc.operation,
    partner: doc.partner,
    mode: doc.mode,
    client_address: doc.client_address,
    status: doc.status,
    errors: doc.errors.map((e) => ({ loc: e.loc, type: e.type })),
    idempotency: doc.idempotency,
    event_id: doc.event_id,
    replayed: doc.replayed,
    latency_ms: doc.latency_ms,
  };
}
