import { MongoBulkWriteError, type Collection, type Db, type WriteError } from 'mongodb';
import { isDuplicateKey } from './dbErrors';
import { DELIVERIES_COLLECTION, fromDeliveryDocument, toDeliveryDocument, type DeliveryDocument, type DeliveryRecord } from './deliveryDocument';
import { DELIVERY_PACKS_COLLECTION, toPack, type PackDocument } from './deliveryPacks';
import { mergeIncrements, statsIncrements, type StatsDocument, type StatsIncrement } from './deliveryStats';

export { DELIVERIES_COLLECTION } from './deliveryDocument';
export const DELIVERY_STATS_COLLECTION = 'delivery_stats';

export interface DeliveryLogOptions {
  /** How often waiting records are written (default 1000 ms). */
  flushMs?: number;
  /** Records waiting at most; past it, new ones are dropped (default 20,000). */
  maxPending?: number;
  /** Told how many records were dropped (a full buffer, or a write that failed). */
  onDropped: (count: number) => void;
  /** One document per batch (the local database; see deliveryPacks.ts) instead of one per record. */
  packed?: boolean;
  /** Told of a failed write, for the log: of records (dropped), or of the counts (which then fall short). */
  onError: (err: unknown, what: 'records' | 'counts') => void;
}

/** A write that has not finished in this long is given up (its records dropped and counted). */
const WRITE_TIMEOUT_MS = 5000;
const BATCH = 1000;

/**
 * The delivery log's writer. Recording is a push into memory: never a wait on the request's
 * path. Records are written in batches in the background, with the counts the operator console
 * shows; when the database fails they are dropped and counted, and nothing else is affected.
 */
export class DeliveryLog {
  private readonly deliveries: Collection<DeliveryDocument>;
  private readonly stats: Collection<StatsDocument>;
  private readonly packs: Collection<PackDocument>;
  private pending: DeliveryDocument[] = [];
  /** What waits to be added to the per-step counts: written records, and records only counted. */
  private tallies = new Map<string, StatsIncrement>();
  private timer: NodeJS.Timeout | undefined;
  /** The drain under way, if any: one at a time, and ticks while it runs add nothing. */
  private draining: Promise<void> | undefined;

  constructor(
    db: Db,
    private readonly options: DeliveryLogOptions,
  ) {
    this.deliveries = db.collection<DeliveryDocument>(DELIVERIES_COLLECTION);
    this.stats = db.collection<StatsDocument>(DELIVERY_STATS_COLLECTION);
    this.packs = db.collection<PackDocument>(DELIVERY_PACKS_COLLECTION);
  }

  record(delivery: DeliveryRecord): void {
    if (this.pending.length >= (this.options.maxPending ?? 20_000)) return this.options.onDropped(1);
    this.pending.push(toDeliveryDocument(delivery));
  }

  /** Counts a delivery in the per-step counts without keeping its record (see deliveryRecord.ts). */
  countOnly(delivery: DeliveryRecord): void {
    mergeIncrements(this.tallies, statsIncrements([delivery]));
  }

  start(): void {
    this.timer ??= setInterval(() => {
      this.draining ??= this.drain().finally(() => (this.draining = undefined));
    }, this.options.flushMs ?? 1000);
    this.timer.unref();
  }

  /** Writes everything recorded so far; never rejects (failures are counted). */
  async flush(): Promise<void> {
    // A drain under way writes only what waited when it began: the rest needs one more.
    if (this.draining) await this.draining;
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
    await this.draining;
  }

  /**
   * Writes the records waiting now, and the counts. Records that arrive meanwhile wait for the
   * next tick: under steady traffic that is one write a second, not one per insert round trip.
   */
  private async drain(): Promise<void> {
    const waiting = this.pending;
    this.pending = [];
    for (let i = 0; i < waiting.length; i += BATCH) {
      const written = await this.write(waiting.slice(i, i + BATCH));
      mergeIncrements(this.tallies, statsIncrements(written.map(fromDeliveryDocument)));
    }
    const increments = [...this.tallies.values()];
    this.tallies.clear();
    await this.count(increments);
  }

  /** Stops the timer and writes what is waiting. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Inserts a batch; resolves with the records written (never rejects: the rest are counted as dropped). */
  private async write(batch: DeliveryDocument[]): Promise<DeliveryDocument[]> {
    let written = batch;
    try {
      if (this.options.packed) await this.packs.insertOne(toPack(batch), { timeoutMS: WRITE_TIMEOUT_MS });
      else await this.deliveries.insertMany(batch, { ordered: false, timeoutMS: WRITE_TIMEOUT_MS });
    } catch (err) {
      // Records the database refused, or all of them when it is not known which were written. A
      // duplicate was written before (a retried batch): it is there, and counted.
      const failed = new Set<number>();
      const refused = err instanceof MongoBulkWriteError && !err.result.getWriteConcernError() ? ([] as WriteError[]).concat(err.writeErrors) : [];
      if (refused.length > 0) {
        for (const e of refused) if (!isDuplicateKey(e)) failed.add(e.index);
      } else {
        batch.forEach((_, i) => failed.add(i));
      }
      if (failed.size > 0) {
        this.options.onDropped(failed.size);
        this.options.onError(err, 'records');
      }
      written = batch.filter((_, i) => !failed.has(i));
    }
    return written;
  }

  /** Adds to the per-step counts; two instances creating one step's document race once, and the loser retries. */
  private async count(increments: StatsIncrement[]): Promise<void> {
    for (const { _id, start, partner, mode, inc } of increments) {
      const update = () => this.stats.updateOne({ _id }, { $inc: inc, $setOnInsert: { start, partner, mode } }, { upsert: true, timeoutMS: WRITE_TIMEOUT_MS });
      try {
        await update().catch(async (err: unknown) => {
          if (!isDuplicateKey(err)) throw err;
          await update();
        });
      } catch (err) {
        this.options.onError(err, 'counts');
      }
    }
  }
}
