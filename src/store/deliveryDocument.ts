import type { components } from '../../generated/openapi';

export type Delivery = components['schemas']['Delivery'];

/** One document per record (MongoDB); the local database packs them (see deliveryPacks.ts). */
export const DELIVERIES_COLLECTION = 'deliveries';

/** One delivery record as the service makes it: the API's fields, with the time as a date. */
export interface DeliveryRecord extends Omit<Delivery, 'received_at'> {
  received_at: Date;
}

/**
 * A record as stored in `deliveries`: only what differs from the usual is written (no nulls,
 * no empty list, no `false`, `mode` only for test keys), since on the local database every field
 * costs time on the write path, and most records are a plain 201.
 */
export interface DeliveryDocument {
  /** `<received_at, ms, 13 digits>-<request_id>`: unique, and sorts by time, so pages go by `_id` alone. */
  _id: string;
  request_id: string;
  received_at: Date;
  status: number;
  latency_ms: number;
  /** Absent: receiveAppointmentEvent. */
  operation?: Delivery['operation'];
  partner?: string;
  mode?: 'test';
  client_address?: string;
  errors?: Delivery['errors'];
  idempotency?: NonNullable<Delivery['idempotency']>;
  event_id?: number;
  replayed?: true;
}

const USUAL_OPERATION: Delivery['operation'] = 'receiveAppointmentEvent';

export function toDeliveryDocument(record: DeliveryRecord): DeliveryDocument {
  const { request_id, received_at, status, latency_ms, operation, partner, mode, client_address, errors, idempotency, event_id, replayed } = record;
  return {
    _id: deliveryKey(received_at, request_id),
    request_id,
    received_at,
    status,
    latency_ms,
    ...(operation !== USUAL_OPERATION ? { operation } : {}),
    ...(partner !== null ? { partner } : {}),
    ...(mode === 'test' ? { mode } : {}),
    ...(client_address !== null ? { client_address } : {}),
    ...(errors.length > 0 ? { errors: errors.map((e) => ({ loc: e.loc, type: e.type })) } : {}),
    ...(idempotency !== null ? { idempotency } : {}),
    ...(event_id !== null ? { event_id } : {}),
    ...(replayed ? { replayed } : {}),
  };
}

/** The whole record back from what was stored. */
export function fromDeliveryDocument(doc: DeliveryDocument): DeliveryRecord {
  const partner = doc.partner ?? null;
  return {
    request_id: doc.request_id,
    received_at: doc.received_at,
    operation: doc.operation ?? USUAL_OPERATION,
    partner,
    mode: partner === null ? null : (doc.mode ?? 'live'),
    client_address: doc.client_address ?? null,
    status: doc.status,
    errors: (doc.errors ?? []).map((e) => ({ loc: e.loc, type: e.type })),
    idempotency: doc.idempotency ?? null,
    event_id: doc.event_id ?? null,
    replayed: doc.replayed === true,
    latency_ms: doc.latency_ms,
  };
}

export function deliveryKey(at: Date, requestId: string): string {
  return `${timeKey(at)}-${requestId}`;
}

/** What a list of deliveries asks for (both storages answer it; see deliveryReads.ts). */
export interface DeliveryQuery {
  /** One partner's records only (always set for a partner's own reads). */
  partner?: string;
  statusClass?: '2xx' | '4xx' | '5xx';
  type?: string;
  from?: Date;
  before?: Date;
  requestId?: string;
  /** The `_id` of the last record of the previous page. */
  afterKey?: string;
  limit: number;
}

/**
 * The keys a query covers: at or after `from`, and below both `before` and the cursor (a key
 * starts with its time, so a time range is a range of keys).
 */
export function keyBounds(query: DeliveryQuery): { lower?: string; upper?: string } {
  const uppers = [query.before ? timeKey(query.before) : undefined, query.afterKey].filter((k) => k !== undefined).sort();
  return { ...(query.from ? { lower: timeKey(query.from) } : {}), ...(uppers[0] !== undefined ? { upper: uppers[0] } : {}) };
}

/** The statuses of a status class: 4xx is 400 up to 500. */
export function statusRange(statusClass: NonNullable<DeliveryQuery['statusClass']>): { from: number; below: number } {
  const from = Number(statusClass[0]) * 100;
  return { from, below: from + 100 };
}

/** The part of a key that is its time: every key of a record received at or after `at` sorts at or after it. */
export function timeKey(at: Date): string {
  // Thirteen digits span 1970 to 2286; a bound outside them is clamped, so it still sorts right.
  return String(Math.min(Math.max(at.getTime(), 0), 9_999_999_999_999)).padStart(13, '0');
}

/** The record as partners and operators read it: nothing of the storage shows. */
export function toDelivery(doc: DeliveryDocument): Delivery {
  const record = fromDeliveryDocument(doc);
  return { ...record, received_at: record.received_at.toISOString() };
}
