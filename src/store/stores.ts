import { connectDatabase, type DatabaseOptions } from './database';
import { openEventStore, type EventStore, type EventStoreOptions } from './eventStore';
import { openPartnerStore, type PartnerStore } from './partnerStore';

export interface Stores {
  events: EventStore;
  partners: PartnerStore;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Connects, creates every index, and hands out the stores; the only way the app reaches MongoDB. */
export async function openStores(options: DatabaseOptions & Omit<EventStoreOptions, 'timeoutMs'>): Promise<Stores> {
  const database = await connectDatabase(options);
  try {
    return {
      events: await openEventStore(database.db, { timeoutMs: options.timeoutMs, maxBatch: options.maxBatch, onInsert: options.onInsert }),
      partners: await openPartnerStore(database.db),
      ping: () => database.ping(),
      close: () => database.close(),
    };
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
}
