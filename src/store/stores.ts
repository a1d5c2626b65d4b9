import { FEED_LEASE_MS } from '../config';
import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { openConsumerStore, type ConsumerStore } from './consumerStore';
import { connectDatabase, type DatabaseOptions } from './database';
import { openEventStore, TEST_EVENTS_COLLECTION, type EventStore, type EventStoreOptions } from './eventStore';
import { numberingDatabaseName, type NumberingStats } from './eventIdLeases';
import { DeliveryLog } from './deliveryLog';
import { deliveryRetention, openDeliveryReads, type DeliveryReads } from './deliveryReads';
import { openPartnerEvents, type PartnerEvents } from './partnerEvents';
import { Retention } from './retention';
import { openEventReads, type EventReads } from './eventReads';
import type { QueryPlan } from './eventQueryPlan';
import { openFeedReads, type FeedReads } from './feedReads';
import { markedPlacement } from './feedPlacement';
import { arrivalPlacement } from './arrivalPlacement';
import { openAppointmentStarts, startsDatabaseName, type AppointmentStarts } from './appointmentStarts';
import { ArrivalLog, arrivalsOf } from './feedArrivals';
import { Chunks } from './feedChunk';
import { createFeedIndex, FeedSequencer } from './feedSequencer';
import { runMigrations } from './migrations';
import { openPartnerStore, type PartnerStore } from './partnerStore';
import { openPendingNotifications, pendingDatabaseName, type PendingNotifications } from './pendingNotifications';
import { openVersionKeys, TEST_VERSION_KEYS_COLLECTION, versionKeysDatabaseName, type VersionKeys } from './versionKeys';
import { leasesDatabaseName, openLeaseStore, type LeaseStore } from './rateLimitStore';

export interface Stores {
  events: EventStore;
  /** Test-mode events: stored apart, read by no consumer, deleted after their retention. */
  testEvents: EventStore;
  /** Partners' lookups of their own events. */
  partnerEvents: PartnerEvents;
  /** The start each appointment was last booked for through FHIR. */
  starts: AppointmentStarts;
  /** Write-ahead records of FHIR notifications being stored. */
  pending: PendingNotifications;
  /** The content each FHIR version was first sent with. */
  versionKeys: VersionKeys;
  /** The delivery log's writer (absent when DELIVERY_LOG_DAYS is 0) and its reads. */
  deliveryLog?: DeliveryLog;
  deliveries: DeliveryReads;
  /** Deletes what is past retention where the database has no TTL indexes; the service runs it now and then. */
  retention?: Retention;
  partners: PartnerStore;
  /** Leases of partners' rate limits, shared by every instance on the database. */
  rateLimits: LeaseStore;
  consumers: ConsumerStore;
  reads: EventReads;
  feed: FeedReads;
  /** Places stored events in the feed; the service runs it in the background. */
  sequencer: FeedSequencer;
  /** Event numbering figures since start, live and test events together (the metrics read them). */
  numbering(): NumberingStats;
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
  /**
   * What the service keeps and for how long: given, the delivery log is written and retention is
   * enforced (TTL indexes made or changed to match); absent (the commands), neither is touched.
   */
  retention?: RetentionOptions;
  /** How delivery records are stored (default: one document each where indexes serve, packed per batch on the local database). */
  deliveryStorage?: 'records' | 'packs';
}

export interface RetentionOptions {
  /** Days delivery records are kept; 0: none are recorded, and those kept expire after a day. */
  deliveryLogDays: number;
  /** Days test-mode events are kept. */
  testEventDays: number;
  /** Told of delivery records dropped (the service counts them) and of failed writes (it logs them). */
  onDeliveriesDropped: (count: number) => void;
  onDeliveryLogError: (err: unknown, what: 'records' | 'counts') => void;
}

const DAY_MS = 86_400_000;

export async function openStores(options: StoresOptions): Promise<Stores> {
  const database = await connectDatabase(options);
  try {
    // On the local database writes to one database take turns: what is written beside the events'
    // inserts (event_id leases, rate-limit leases, FHIR version claims and starts, notification
    // records) gets a database of its own, named by its store, so it runs beside another
    // instance's insert instead of after it.
    const beside = (name: (dbName: string) => string): Db => (database.scansOnly ? database.db.client.db(name(database.db.databaseName)) : database.db);
    const versionKeysDb = beside(versionKeysDatabaseName);
    const pendingDb = beside(pendingDatabaseName);
    await runMigrations(database.db, { versionKeys: versionKeysDb, pending: pendingDb, starts: beside(startsDatabaseName) });
    const placement = options.feedPlacement ?? (database.scansOnly ? 'arrivals' : 'marked');
    const chunks = new Chunks(database.db);
    const leasesDb = beside(numberingDatabaseName);
    const events = await openEventStore(database.db, {
      leasesDb,
      arrivals: placement === 'arrivals' ? new ArrivalLog(arrivalsOf(database.db)) : undefined,
      timeoutMs: options.timeoutMs,
      maxBatch: options.maxBatch,
      maxQueued: options.maxQueued,
      onInsert: options.onInsert,
      onQueueFull: options.onQueueFull,
    });
    if (!database.scansOnly) await createFeedIndex(database.db);
    const testEvents = await openEventStore(database.db, {
      mode: 'test',
      leasesDb,
      timeoutMs: options.timeoutMs,
      maxBatch: options.maxBatch,
      // Test traffic may never hold as many writes as live traffic can.
      maxQueued: Math.max(1, Math.floor((options.maxQueued ?? 5000) / 10)),
      onQueueFull: options.onQueueFull,
    });
    const kept = options.retention;
    const retention = kept
      ? new Retention(
          database.db,
          [
            ...deliveryRetention(Math.max(1, kept.deliveryLogDays) * DAY_MS),
            { collection: TEST_EVENTS_COLLECTION, field: 'received_at', keepMs: kept.testEventDays * DAY_MS },
            // A test version's claims (its key, its appointment's start) go with its event.
            { db: versionKeysDb, collection: TEST_VERSION_KEYS_COLLECTION, field: 'at', keepMs: kept.testEventDays * DAY_MS },
          ],
          !database.scansOnly,
        )
      : undefined;
    await retention?.createIndexes();
    const packed = (options.deliveryStorage ?? (database.scansOnly ? 'packs' : 'records')) === 'packs';
    const deliveryLog = kept && kept.deliveryLogDays > 0 ? new DeliveryLog(database.db, { packed, onDropped: kept.onDeliveriesDropped, onError: kept.onDeliveryLogError }) : undefined;
    const versionKeys = await openVersionKeys(versionKeysDb);
    return {
      events,
      testEvents,
      partnerEvents: openPartnerEvents(database.db),
      starts: openAppointmentStarts(versionKeys.beside),
      pending: await openPendingNotifications(pendingDb, { indexes: !database.scansOnly }),
      versionKeys,
      deliveryLog,
      deliveries: await openDeliveryReads(database.db, { indexes: !database.scansOnly, packed }),
      retention,
      partners: await openPartnerStore(database.db),
      rateLimits: await openLeaseStore(beside(leasesDatabaseName), { ttlIndexes: !database.scansOnly }),
      reads: await openEventReads(database.db, { readIndexes: !database.scansOnly, observe: options.observeQueries }),
      feed: openFeedReads(database.db, chunks),
      sequencer: new FeedSequencer(database.db, chunks, { chunkSize: options.feedChunkSize ?? 1000, instance: options.instance ?? randomUUID(),
        leaseMs: FEED_LEASE_MS,
        // An event whose arrival was lost is looked for once it has been missing as long as a lease.
        placement: placement === 'marked' ? markedPlacement : (db) => arrivalPlacement(db, { graceMs: FEED_LEASE_MS }),
      }),
      consumers: await openConsumerStore(database.db),
      numbering: () => {
        const [live, test] = [events.numbering(), testEvents.numbering()];
        return { leases: live.leases + test.leases, conflicts: live.conflicts + test.conflicts, retries: live.retries + test.retries, leaseSeconds: live.leaseSeconds + test.leaseSeconds };
      },
      ping: () => database.ping(),
      close: async () => {
        // A clean stop leaves the hint exact, so the next start reads no events; the delivery
        // log's last records come after (a stop bounded in time may cut them short).
        await events.flush().catch(() => undefined);
        await testEvents.flush().catch(() => undefined);
        await deliveryLog?.stop();
        await database.close();
      },
    };
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
}
