// Over 200 lines: the numbering and insert algorithm of one writer, whose parts (batches, blocks, id conflicts, repeats, deadlines) only make sense read together.
import { AppError } from '../errors';
import type { EventDocument, UnnumberedEvent } from './eventDocument';
import { EventIdHint } from './eventIdHint';
import { fail, succeed, unavailable, WriteQueue, type QueuedWrite } from './writeQueue';

/** What the writer needs from the database; store/eventStore.ts provides it over the events collection. */
export interface SequencedInsertPort {
  /**
   * Leases a block of event_ids: numbers no other writer holds, all above those of every block
   * taken before this call (see eventIdLeases.ts). Throws when the database does not answer.
   */
  lease(): Promise<{ first: number; last: number }>;
  /** Numbers of a block that will never be stored (told to the feed, which then need not wait for them). */
  skip(first: number, last: number): void;
  /** Records the highest event_id stored (a hint: the feed reads it to know events lie beyond what it placed). */
  recordHighest(highest: number): Promise<void>;
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
  /** A write not acknowledged within this time is answered 503 (unless the write names its own). */
  timeoutMs: number;
  /** Documents sent in one insert at most. */
  maxBatch?: number;
  /** Events waiting for their insert at most; past it a write fails at once (503) instead of queueing. */
  maxQueued?: number;
  /** Told each time a write is refused because the queue is full. */
  onQueueFull?: () => void;
  /** How often one event may find its event_id taken (by a writer outside the blocks) before it is answered 503. */
  maxIdConflicts?: number;
  /** Turns an unknown-outcome failure into the vocabulary (503 or 500). */
  classify: (err: unknown) => AppError;
  /** Told of each event_id found taken, and whether the event is numbered again (false: it got 503). */
  onConflict?: (retried: boolean) => void;
  /** Told about every insert: how many documents were sent, how many stored, how long it took. */
  onInsert?: (sent: number, stored: number, seconds: number) => void;
  /**
   * What a document still waits for before it is numbered (its final event type, decided while it
   * queued); a failure fails that write alone.
   */
  ready?: (doc: UnnumberedEvent) => Promise<void> | undefined;
}

type Pending = QueuedWrite<UnnumberedEvent, WriteResult>;

/** A batch's block: numbers not yet used; whether the rest may be told unused when the batch ends; a number refused for a reason not named. */
interface Block {
  next: number;
  last: number;
  told: boolean;
  doubtful?: number;
}

/** How long a batch waits for the documents still being decided (see whenReady). */
const READY_WAIT_MS = 250;

/**
 * Numbers and stores events. Why not an atomic `$inc` counter: on MongoDB it would do, but the
 * local database (FerretDB) runs findAndModify as read-then-write, and concurrent increments
 * hand out the same number and even move the counter backwards. A unique index is atomic on both.
 *
 * So each batch takes a block of event_ids (eventIdLeases.ts: one unique insert), after its events
 * were received: a block taken after another batch's 201s holds larger numbers, so an event
 * received after another event's 201 always gets a larger event_id, whichever instance takes it.
 * Several instances never contend for the same numbers, only for the next block, which costs a
 * refused insert when lost. A batch larger than its block goes on in the next. The unique index
 * on event_id stays as the last word: a number found taken (a writer outside the blocks, such as
 * an older build during an upgrade) sends the rest of the batch to a new block.
 *
 * Holes: the numbers of a block left when its batch is done are never handed out again, and are
 * told to the feed (`skip`), so that it does not wait for them (an event refused or found to be a
 * repeat mid-batch passes its number to the next). Numbers sent in an insert whose outcome is
 * unknown may be stored, and are not told: the feed passes over them once they outlive their grace
 * (arrivalPlacement.ts), as over those of a crash. Events that queue while a batch is in flight
 * go together in the next one, which is what keeps throughput up (writeQueue.ts bounds that queue
 * and gives each write a deadline).
 *
 * A document refused by the unique idempotency key is a repeat: the stored event is handed back
 * as a replay (or, if it is not yet acknowledged by a majority, the repeat is told to come back).
 */
export class EventWriter {
  /** Events waiting for an insert, oldest first. */
  private readonly queue: WriteQueue<UnnumberedEvent, WriteResult>;
  private draining = false;
  private readonly hint: EventIdHint;
  private readonly maxBatch: number;
  private readonly maxIdConflicts: number;

  constructor(
    private readonly port: SequencedInsertPort,
    private readonly options: EventWriterOptions,
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.queue = new WriteQueue(options.maxQueued ?? 5000, options.onQueueFull);
    this.maxIdConflicts = options.maxIdConflicts ?? 50;
    this.hint = new EventIdHint((highest) => this.port.recordHighest(highest));
  }

  /** Stores one event, answering within `timeoutMs` (the writer's default when not given). */
  write(doc: UnnumberedEvent, timeoutMs = this.options.timeoutMs): Promise<WriteResult> {
    const written = this.queue.add(doc, timeoutMs);
    void this.drain();
    return written;
  }

  /** Events waiting for an insert now, the most there have been, and the bound. */
  get queueStats(): { queued: number; peak: number; limit: number } {
    return this.queue.stats;
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.size > 0) await this.writeBatch(this.queue.take(this.maxBatch));
    } finally {
      this.draining = false;
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    const leased: Block = { next: 1, last: 0, told: true };
    try {
      const waiting = batch.filter((p) => !p.settled);
      const waits = waiting.map((p) => this.options.ready?.(p.doc));
      // Documents still being decided: the block is taken meanwhile (its events are all here).
      const early = waits.some((wait) => wait !== undefined) ? this.port.lease() : undefined;
      early?.catch(() => undefined);
      const pending = await this.whenReady(waiting, waits);
      if (early) {
        try {
          const block = await early;
          Object.assign(leased, { next: block.first, last: block.last });
        } catch (err) {
          const appError = this.options.classify(err);
          for (const p of pending) fail(p, appError);
          return;
        }
      }
      await this.numberAndInsert(pending.filter((p) => !p.settled), leased);
    } finally {
      // Numbers never sent in an insert, or refused for a repeat that did not say its index: no event holds them.
      const from = leased.doubtful === leased.next ? leased.next + 1 : leased.next;
      if (leased.told && from <= leased.last) this.port.skip(from, leased.last);
    }
  }

  private async numberAndInsert(pending: Pending[], leased: Block): Promise<void> {
    /** How often each event found its event_id taken. */
    const conflicts = new Map<Pending, number>();
    while (pending.length > 0) {
      let outcome: InsertOutcome;
      let docs: EventDocument[];
      let first: number;
      try {
        if (leased.next > leased.last) {
          const block = await this.port.lease();
          Object.assign(leased, { next: block.first, last: block.last, told: true, doubtful: undefined });
          // A write answered 503 while the block was taken must not be stored after all: its
          // number is left unused, and the sender's retry stores it once.
          pending = pending.filter((p) => !p.settled);
          if (pending.length === 0) return;
        }
        first = leased.next;
        // A batch larger than its block goes on in the next.
        docs = pending.slice(0, leased.last - first + 1).map((p, i) => ({ event_id: first + i, ...p.doc }));
        const started = performance.now();
        let stored = 0;
        // Sent: until the outcome is known, these numbers may be stored.
        leased.next = first + docs.length;
        try {
          outcome = await this.port.insertOrdered(docs);
          stored = outcome.inserted;
        } finally {
          this.options.onInsert?.(docs.length, stored, (performance.now() - started) / 1000);
        }
      } catch (err) {
        // Unknown outcome: the numbers sent are abandoned; the partner retries on 503.
        const appError = this.options.classify(err);
        for (const p of pending) fail(p, appError);
        return;
      }
      for (let i = 0; i < outcome.inserted; i++) succeed(pending[i]!, { doc: docs[i]!, replayed: false });
      // The failed document's number was not stored: the rest of the batch goes on from it.
      leased.next = first + outcome.inserted;
      if (outcome.inserted > 0) this.hint.raise(first + outcome.inserted - 1);
      if (!outcome.failure) {
        pending = pending.slice(docs.length).filter((p) => !p.settled);
        continue;
      }

      const failed = pending[outcome.inserted];
      if (!failed) return;
      const rest = pending.slice(outcome.inserted + 1);
      if (outcome.failure.kind === 'rejected') {
        fail(failed, new AppError('internal', [], {}, { cause: outcome.failure.cause }));
        pending = rest.filter((p) => !p.settled);
        continue;
      }

      let existing: EventDocument | null = null;
      try {
        // A duplicate the database says was on event_id is no repeat: nothing to look up.
        if (outcome.failure.index !== 'event_id') existing = await this.port.findByIdempotencyKey(failed.doc.idempotency_key);
      } catch (err) {
        // Not known to be a repeat: the number may be another writer's.
        if (outcome.failure.index !== 'idempotency_key') leased.doubtful = leased.next;
        const appError = this.options.classify(err);
        for (const p of [failed, ...rest]) fail(p, appError);
        return;
      }
      if (existing) {
        succeed(failed, { doc: existing, replayed: true });
        // A database that does not name the index leaves open that the number was taken too.
        if (outcome.failure.index === undefined) leased.doubtful = leased.next;
      } else if (outcome.failure.index === 'idempotency_key') {
        // Stored by another request, but not yet acknowledged by a majority: not replayable yet.
        fail(failed, new AppError('idempotency_in_progress'));
      } else {
        // A writer outside the blocks took this event_id: the rest goes to a new block. What is
        // left of this one may be that writer's too, so it is not told unused (the feed finds
        // out for itself, after a grace).
        Object.assign(leased, { next: 1, last: 0, told: false });
        const lost = (conflicts.get(failed) ?? 0) + 1;
        conflicts.set(failed, lost);
        this.options.onConflict?.(lost <= this.maxIdConflicts);
        if (lost > this.maxIdConflicts) fail(failed, unavailable(`its event_id was found taken ${lost} times`));
      }
      pending = [failed, ...rest].filter((p) => !p.settled);
    }
  }

  /**
   * Waits for the batch's undecided documents, at most READY_WAIT_MS: the writer serves every
   * partner, so one slow decision must not hold up the others' events. One not decided by then,
   * or whose decision failed, fails alone (503: the sender sends it again).
   */
  private async whenReady(pending: Pending[], waits: (Promise<void> | undefined)[]): Promise<Pending[]> {
    if (waits.every((wait) => wait === undefined)) return pending;
    const outcomes: (PromiseSettledResult<void> | undefined)[] = waits.map(() => undefined);
    const settled = Promise.all(waits.map((wait, i) => (wait ?? Promise.resolve()).then((value) => void (outcomes[i] = { status: 'fulfilled', value }), (reason: unknown) => void (outcomes[i] = { status: 'rejected', reason }))));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, READY_WAIT_MS)))]);
    clearTimeout(timer);
    outcomes.forEach((outcome, i) => {
      if (!outcome) fail(pending[i]!, unavailable('its event type was not decided in time'));
      else if (outcome.status === 'rejected') fail(pending[i]!, this.options.classify(outcome.reason));
    });
    return pending.filter((p) => !p.settled);
  }

  /** Brings the event_id hint up to date (a clean stop does this; the feed reads it). */
  flushHint(): Promise<void> {
    return this.hint.flush();
  }
}
