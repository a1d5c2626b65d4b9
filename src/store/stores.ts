import { FEED_LEASE_MS } from '../config';
import { randomUUID } from 'node:crypto';
import { openConsumerStore, type ConsumerStore } from './consumerStore';
import { connectDatabase, type DatabaseOptions } from './database';
import { openEventStore, type EventStore, type EventStoreOptions } from './eventStore';
import { openEventReads, type EventReads } from './eventReads';
import type { QueryPlan } from './eventQueryPlan';
import { openFeedReads, type FeedReads } from './feedReads';
import { markedPlacement } from './feedPlacement';
import { arrivalPlacement } from './arrivalPlacement';
import { ArrivalLog, arrivalsOf } from './feedArrivals';
import { Chunks } from './feedChunk';
import { createFeedIndex, FeedSequencer } from './feedSequencer';
import { runMigrations } from './migrations';
import { openPartnerStore, type PartnerStore } from './partnerStore';

export interface Stores {
  events: EventStore;
  partners: PartnerStore;
  consumers: ConsumerStore;
  reads: EventReads;
  feed: FeedReads;
  /** Places stored events in the feed; the service runs it in the background. */
  sequencer: FeedSequencer;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Connects, runs the migrations the database has not had yet (once each, ever), creates every
 * index, and hands out the stores; the only way the app reaches MongoDB. Nothing here reads the
 * events themselves, so start-up does not slow down as they pile up.
 */
export interface StoresOptions extends DatabaseOptions, Omit<EventStoreOptions, 'timeoutMs'> {
  /** This instance's name, in the feed sequencer's lease (default: a random one). */
  instance?: string;
  /** Events per feed chunk at most (default 1000). */
  feedChunkSize?: number;
  /** How the feed tells placed events (default: marked where indexes serve, from writers' arrivals on the local database). */
  feedPlacement?: 'marked' | 'arrivals';
  /** Sees every query plan GET /events sends (tests check index use through it). */
  observeQueries?: (plan: QueryPlan) => void;
}

export async function openStores(options: StoresOptions): Promise<Stores> {
  const database = await connectDatabase(options);
  try {
    await runMigrations(database.db);
    const placement = options.feedPlacement ?? (database.scansOnly ? 'arrivals' : 'marked');
    const chunks = new Chunks(database.db);
    const events = await openEventStore(database.db, {
      arrivals: placement === 'arrivals' ? new ArrivalLog(arrivalsOf(database.db)) : undefined,
      timeoutMs: options.timeoutMs,
      maxBatch: options.maxBatch,
      maxQueued: options.maxQueued,
      onInsert: options.onInsert,
      onQueueFull: options.onQueueFull,
    });
    if (!database.scansOnly) await createFeedIndex(database.db);
    return {
      events,
      partners: await openPartnerStore(database.db),
      reads: await openEventReads(database.db, { readIndexes: !database.scansOnly, observe: options.observeQueries }),
      feed: openFeedReads(database.db, chunks),
      sequencer: new FeedSequencer(database.db, chunks, { chunkSize: options.feedChunkSize ?? 1000, instance: options.instance ?? randomUUID(),
        leaseMs: FEED_LEASE_MS,
        // An event whose arrival was lost is looked for once it has been missing as long as a lease.
        placement: placement === 'marked' ? markedPlacement : (db) => arrivalPlacement(db, { graceMs: FEED_LEASE_MS }),
      }),
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
