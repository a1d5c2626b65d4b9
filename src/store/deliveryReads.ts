import type { Db, Filter } from 'mongodb';
import { maxTimeMS, toAppError } from './dbErrors';
import { keyBounds, statusRange, toDelivery, type Delivery, type DeliveryDocument, type DeliveryQuery } from './deliveryDocument';
import { DELIVERIES_COLLECTION, DELIVERY_STATS_COLLECTION } from './deliveryLog';
import { DELIVERY_PACKS_COLLECTION, matches, unpack, type PackDocument } from './deliveryPacks';
import { DAY_STEPS, STEP_MS, summarise, windowStart, type StatsDocument } from './deliveryStats';
import type { RetentionRule } from './retention';
import type { components } from '../../generated/openapi';

export type { DeliveryQuery };

export interface DeliveryPage {
  deliveries: Delivery[];
  /** The last record's key when another page follows. */
  lastKey?: string;
}

export interface DeliveryReads {
  list(query: DeliveryQuery, maxTimeMs: number): Promise<DeliveryPage>;
  /** The operator summary of the last hour and day; `partners` lists the active partners. */
  summary(partners: readonly string[], now: Date, maxTimeMs: number): Promise<components['schemas']['OperatorSummary']>;
}

/** The step counts are kept two days: the summary looks one back. */
const STATS_KEEP_MS = 2 * DAY_STEPS * STEP_MS;

/**
 * The delivery log's reads and indexes. On MongoDB every list is served by an index (the
 * partner's newest first, or all newest first by `_id`); the local database uses none, and reads
 * the packs in the time range, filtering their records here (see deliveryPacks.ts).
 */
export async function openDeliveryReads(db: Db, options: { indexes: boolean; packed: boolean }): Promise<DeliveryReads> {
  const deliveries = db.collection<DeliveryDocument>(DELIVERIES_COLLECTION);
  const packs = db.collection<PackDocument>(DELIVERY_PACKS_COLLECTION);
  const stats = db.collection<StatsDocument>(DELIVERY_STATS_COLLECTION);
  if (options.indexes) {
    await deliveries.createIndex({ partner: 1, _id: -1 }, { name: 'partner_newest' });
    await deliveries.createIndex({ request_id: 1 }, { name: 'request_id' });
    // A partner's refusals, of one type or one class, newest first, without reading its other records.
    await deliveries.createIndex({ partner: 1, 'errors.type': 1, _id: -1 }, { name: 'partner_type_newest' });
    await deliveries.createIndex({ partner: 1, status: 1, _id: -1 }, { name: 'partner_status_newest' });
  }

  /** Up to one more than a page of the records matching, newest first, through the index that bounds and orders them. */
  async function newestRecords(query: DeliveryQuery, maxTime: number): Promise<DeliveryDocument[]> {
    const { lower, upper } = keyBounds(query);
    const status = query.statusClass && statusRange(query.statusClass);
    const keys = { ...(lower !== undefined ? { $gte: lower } : {}), ...(upper !== undefined ? { $lt: upper } : {}) };
    const filter: Filter<DeliveryDocument> = {
      ...(query.partner !== undefined ? { partner: query.partner } : {}),
      ...(status ? { status: { $gte: status.from, $lt: status.below } } : {}),
      ...(query.type !== undefined ? { 'errors.type': query.type } : {}),
      ...(query.requestId !== undefined ? { request_id: query.requestId } : {}),
      ...(Object.keys(keys).length > 0 ? { _id: keys } : {}),
    };
    return deliveries.find(filter, { sort: { _id: -1 }, limit: query.limit + 1, maxTimeMS: maxTime }).toArray();
  }

  /** The same from the packs that can hold such records: a pack starts at its `_id` and ends at its newest record. */
  async function newestFromPacks(query: DeliveryQuery, maxTime: number): Promise<DeliveryDocument[]> {
    const { upper } = keyBounds(query);
    const found = await packs.find({ ...(upper !== undefined ? { _id: { $lt: upper } } : {}), ...(query.from ? { received_at: { $gte: query.from } } : {}) }, { maxTimeMS: maxTime }).toArray();
    return found
      .flatMap(unpack)
      .filter(matches(query))
      .sort((a, b) => (a._id < b._id ? 1 : -1))
      .slice(0, query.limit + 1);
  }

  return {
    async list(query, maxTimeMs) {
      try {
        const docs = await (options.packed ? newestFromPacks : newestRecords)(query, maxTimeMS(maxTimeMs));
        const page = docs.slice(0, query.limit);
        return { deliveries: page.map(toDelivery), ...(docs.length > query.limit ? { lastKey: page[page.length - 1]!._id } : {}) };
      } catch (err) {
        throw toAppError(err);
      }
    },
    async summary(partners, now, maxTimeMs) {
      try {
        const docs = await stats.find({ start: { $gte: windowStart(now, DAY_STEPS) } }, { maxTimeMS: maxTimeMS(maxTimeMs) }).toArray();
        return summarise(docs, partners, now);
      } catch (err) {
        throw toAppError(err);
      }
    },
  };
}

/** What the delivery log keeps, and for how long: records for `keepMs`, the step counts two days. */
export function deliveryRetention(keepMs: number): RetentionRule[] {
  return [
    { collection: DELIVERIES_COLLECTION, field: 'received_at', keepMs },
    { collection: DELIVERY_PACKS_COLLECTION, field: 'received_at', keepMs },
    { collection: DELIVERY_STATS_COLLECTION, field: 'start', keepMs: STATS_KEEP_MS },
  ];
}
