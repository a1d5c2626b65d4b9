import type { Db } from 'mongodb';
import { DELIVERIES_COLLECTION, keyBounds, statusRange, type DeliveryDocument, type DeliveryQuery } from './deliveryDocument';

/**
 * Where the local database keeps delivery records: one document per written batch, the records
 * as one JSON text. FerretDB pays for every document inserted beside the events' own writes (the
 * log cost ~10% of accepted events per second with one document per record) and reads every
 * document of a collection whatever the query; MongoDB keeps one indexed document per record.
 */
export const DELIVERY_PACKS_COLLECTION = 'delivery_packs';

export interface PackDocument {
  /** The key of the batch's first record. */
  _id: string;
  /** When its newest record arrived: retention deletes the pack once that is past. */
  received_at: Date;
  records: string;
}

export function toPack(docs: readonly DeliveryDocument[]): PackDocument {
  const newest = Math.max(...docs.map((d) => d.received_at.getTime()));
  return { _id: docs[0]!._id, received_at: new Date(newest), records: JSON.stringify(docs) };
}

export function unpack(pack: PackDocument): DeliveryDocument[] {
  return (JSON.parse(pack.records) as (Omit<DeliveryDocument, 'received_at'> & { received_at: string })[]).map((d) => ({ ...d, received_at: new Date(d.received_at) }));
}

/** The query's filter, for records read from packs (as the records' query asks the database). */
export function matches(query: DeliveryQuery): (doc: DeliveryDocument) => boolean {
  const { lower, upper } = keyBounds(query);
  const status = query.statusClass && statusRange(query.statusClass);
  return (doc) =>
    (query.partner === undefined || doc.partner === query.partner) &&
    (!status || (doc.status >= status.from && doc.status < status.below)) &&
    (query.type === undefined || (doc.errors ?? []).some((e) => e.type === query.type)) &&
    (query.requestId === undefined || doc.request_id === query.requestId) &&
    (lower === undefined || doc._id >= lower) &&
    (upper === undefined || doc._id < upper);
}

/** Every record stored, either way, oldest first: for tests and tools, never a request's path. */
export async function allStoredDeliveries(db: Db): Promise<DeliveryDocument[]> {
  const records = await db.collection<DeliveryDocument>(DELIVERIES_COLLECTION).find().toArray();
  const packs = await db.collection<PackDocument>(DELIVERY_PACKS_COLLECTION).find().toArray();
  return [...records, ...packs.flatMap(unpack)].sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
}
