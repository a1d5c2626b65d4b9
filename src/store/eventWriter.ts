import { AppError } from '../errors';
import type { EventDocument, UnnumberedEvent } from './eventDocument';

/** What the writer needs from the database; store/eventStore.ts provides it over the events collection. */
export interface SequencedInsertPort {
  /** The highest event_id stored, 0 when there is none. */
  highestEventId(): Promise<number>;
  /**
   * Inserts in order, stopping at the first failure. Throws when the outcome is unknown
   * (network, timeout, write concern not met): some of the documents may then be stored.
   */
  insertOrdered(docs: EventDocument[]): Promise<InsertOutcome>;
  /** The stored event with this idempotency key, as acknowledged by a majority; null when none is. */
  findByIdempotencyKey(key: string): Promise<EventDocument | null>;
}

export interface InsertOutcome {
  /** How many documents, from the first, were stored. */
  inserted: number;
  /**
   * Why document number `inserted` was not: a unique index refused it (its event_id was taken, or
   * its idempotency key was; `index` says which when the database tells), or it was refused otherwise.
   */
  failure?: { kind: 'duplicate'; index?: 'event_id' | 'idempotency_key' } | { kind: 'rejected'; cause: unknown };
}

export interface WriteResult {
  doc: EventDocument;
  /** True when an event with the same idempotency key was already stored: `doc` is that event. */
  replayed: boolean;
}

export interface EventWriterOptions {
  /** A write not acknowledged within this time is answered 503. */
  timeoutMs: number;
  /** Documents sent in one insert at most. */
  maxBatch?: number;
  /** How often one event may lose its event_id to another instance before it is answered 503. */
  maxIdConflicts?: number;
  /** Turns an unknown-outcome failure into the vocabulary (503 or 500). */
  classify: (err: unknown) => AppError;
  /** Told about every insert: how many documents were sent, how many stored, how long it took. */
  onInsert?: (sent: number, stored: number, seconds: number) => void;
}

interface Pending {
  doc: UnnumberedEvent;
  settled: boolean;
  conflicts: number;
  timer: NodeJS.Timeout;
  resolve: (result: WriteResult) => void;
  reject: (err: AppError) => void;
}

/**
 * Numbers and stores events. Why not an atomic `$inc` counter: on MongoDB it would do, but the
 * local database (FerretDB) runs findAndModify as read-then-write, and concurrent increments
 * hand out the same number and even move the counter backwards. A unique index is atomic on both.
 *
 * So event_ids are taken by inserting: each batch is numbered from the highest event_id known
 * and inserted in order. An insert that finds its number taken (another instance got there
 * first) re-reads the highest event_id and tries again. One batch is in flight per instance,
 * and ordered inserts stop at the first failure, so the stored event_ids always run without
 * holes from 1 to the highest; hence a number is never handed out twice, and an event that
 * arrives after another event's 201 always gets a larger number. Events that queue while a
 * batch is in flight go together in the next one, which is what keeps throughput up.
 *
 * A document refused by the unique idempotency key is a repeat: the stored event is handed back
 * as a replay (or, if it is not yet acknowledged by a majority, the repeat is told to come back).
 *
 * This relies on events never being deleted from the top of the sequence.
 */
export class EventWriter {
  private queue: Pending[] = [];
  private highest: number | undefined;
  private draining = false;
  private readonly maxBatch: number;
  private readonly maxIdConflicts: number;

  constructor(
    private readonly port: SequencedInsertPort,
    private readonly options: EventWriterOptions,
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.maxIdConflicts = options.maxIdConflicts ?? 50;
  }

  write(doc: UnnumberedEvent): Promise<WriteResult> {
    return new Promise<WriteResult>((resolve, reject) => {
      const pending: Pending = { doc, settled: false, conflicts: 0, resolve, reject, timer: undefined as never };
      pending.timer = setTimeout(() => this.expire(pending), this.options.timeoutMs);
      this.queue.push(pending);
      void this.drain();
    });
  }

  /** Requests still waiting for the database. */
  get backlog(): number {
    return this.queue.length;
  }

  private expire(pending: Pending): void {
    // Still queued: it is dropped and never written. Already sent: its outcome is unknown, and 503 says so.
    const index = this.queue.indexOf(pending);
    if (index >= 0) this.queue.splice(index, 1);
    this.fail(pending, new AppError('database_unavailable'));
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        await this.writeBatch(this.queue.splice(0, this.maxBatch));
      }
    } finally {
      this.draining = false;
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    let pending = batch.filter((p) => !p.settled);
    while (pending.length > 0) {
      let outcome: InsertOutcome;
      let docs: EventDocument[];
      let first: number;
      try {
        this.highest ??= await this.port.highestEventId();
        first = this.highest + 1;
        docs = pending.map((p, i) => ({ event_id: first + i, ...p.doc }));
        const started = performance.now();
        let stored = 0;
        try {
          outcome = await this.port.insertOrdered(docs);
          stored = outcome.inserted;
        } finally {
          this.options.onInsert?.(docs.length, stored, (performance.now() - started) / 1000);
        }
      } catch (err) {
        // Unknown outcome: re-read the highest event_id next time; the partner retries on 503.
        this.highest = undefined;
        const appError = this.options.classify(err);
        for (const p of pending) this.fail(p, appError);
        return;
      }
      for (let i = 0; i < outcome.inserted; i++) this.succeed(pending[i]!, { doc: docs[i]!, replayed: false });
      this.highest = first + outcome.inserted - 1;
      if (!outcome.failure) return;

      const failed = pending[outcome.inserted];
      if (!failed) return;
      const rest = pending.slice(outcome.inserted + 1);
      if (outcome.failure.kind === 'rejected') {
        this.fail(failed, new AppError('internal', [], {}, { cause: outcome.failure.cause }));
        pending = rest.filter((p) => !p.settled);
        continue;
      }

      let existing: EventDocument | null;
      try {
        existing = await this.port.findByIdempotencyKey(failed.doc.idempotency_key);
      } catch (err) {
        this.highest = undefined;
        const appError = this.options.classify(err);
        for (const p of [failed, ...rest]) this.fail(p, appError);
        return;
      }
      if (existing) {
        this.succeed(failed, { doc: existing, replayed: true });
      } else if (outcome.failure.index === 'idempotency_key') {
        // Stored by another request, but not yet acknowledged by a majority: not replayable yet.
        this.fail(failed, new AppError('idempotency_in_progress'));
      } else {
        // Another instance took this event_id.
        this.highest = undefined;
        failed.conflicts += 1;
        if (failed.conflicts > this.maxIdConflicts) this.fail(failed, new AppError('database_unavailable'));
      }
      pending = [failed, ...rest].filter((p) => !p.settled);
    }
  }

  private succeed(pending: Pending, result: WriteResult): void {
    if (pending.settled) return;
    pending.settled = true;
    clearTimeout(pending.timer);
    pending.resolve(result);
  }

  private fail(pending: Pending, err: AppError): void {
    if (pending.settled) return;
    pending.settled = true;
    clearTimeout(pending.timer);
    pending.reject(err);
  }
}
