import { openConsumerStore, type ConsumerStore } from './consumerStore';
import { connectDatabase, type DatabaseOptions } from './database';
import { openEventStore, type EventStore, type EventStoreOptions } from './eventStore';
import { runMigrations } from './migrations';
import { openPartnerStore, type PartnerStore } from './partnerStore';

export interface Stores {
  events: EventStore;
  partners: PartnerStore;
  consumers: ConsumerStore;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Connects, runs the migrations the database has not had yet (once each, ever), creates every
 * index, and hands out the stores; the only way the app reaches MongoDB. Nothing here reads the
 * events themselves, so start-up does not slow down as they pile up.
 */
export async function openStores(options: DatabaseOptions & Omit<EventStoreOptions, 'timeoutMs'>): Promise<Stores> {
  const database = await connectDatabase(options);
  try {
    await runMigrations(database.db);
    const events = await openEventStore(database.db, {
      timeoutMs: options.timeoutMs,
      maxBatch: options.maxBatch,
      maxQueued: options.maxQueued,
      onInsert: options.onInsert,
      onQueueFull: options.onQueueFull,
    });
    return {
      events,
      partners: await openPartnerStore(database.db),
      consumers: await openConsumerStore(database.db),
      ping: () => database.ping(),
      close: async () => {
        // A clean stop leaves the hint exact, so the next start reads no events.
        await events.flush().catch(() => undefined);
        await database.close();
      },
    };
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
}
