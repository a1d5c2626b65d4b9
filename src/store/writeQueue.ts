import { AppError, InternalFault } from '../errors';

/** A 503 whose log line says why (the client sees only the envelope). */
export function unavailable(why: string): AppError {
  return new AppError('database_unavailable', [], {}, { cause: new InternalFault(why) });
}

/** One write, waiting for its insert or in one; it settles once: stored, failed, or out of time. */
export interface QueuedWrite<D, R> {
  readonly doc: D;
  settled: boolean;
  timer: NodeJS.Timeout;
  resolve: (result: R) => void;
  reject: (err: AppError) => void;
}

/**
 * The writes waiting for an insert, oldest first, each with a deadline; bounded, because a full
 * queue means the database is far behind: waiting in it would only end in a 503 later, so a
 * further write fails at once instead.
 */
export class WriteQueue<D, R> {
  /** A Set keeps arrival order and removes in O(1). */
  private readonly waiting = new Set<QueuedWrite<D, R>>();
  private peak = 0;

  /** `onFull` is told each time a write is refused because the queue is full. */
  constructor(
    private readonly limit: number,
    private readonly onFull?: () => void,
  ) {}

  /** Queues one write; its promise settles when the writer settles it, or with a 503 after `timeoutMs`. */
  add(doc: D, timeoutMs: number): Promise<R> {
    if (timeoutMs <= 0) return Promise.reject(unavailable('no time left for the write'));
    if (this.waiting.size >= this.limit) {
      this.onFull?.();
      return Promise.reject(unavailable('the write queue is full'));
    }
    return new Promise<R>((resolve, reject) => {
      const write: QueuedWrite<D, R> = { doc, settled: false, resolve, reject, timer: undefined as never };
      write.timer = setTimeout(() => this.expire(write), timeoutMs);
      this.waiting.add(write);
      if (this.waiting.size > this.peak) this.peak = this.waiting.size;
    });
  }

  /** Takes up to `max` writes from the front of the queue. */
  take(max: number): QueuedWrite<D, R>[] {
    const batch: QueuedWrite<D, R>[] = [];
    for (const write of this.waiting) {
      this.waiting.delete(write);
      batch.push(write);
      if (batch.length === max) break;
    }
    return batch;
  }

  get size(): number {
    return this.waiting.size;
  }

  /** Writes waiting now, the most there have been, and the bound. */
  get stats(): { queued: number; peak: number; limit: number } {
    return { queued: this.waiting.size, peak: this.peak, limit: this.limit };
  }

  private expire(write: QueuedWrite<D, R>): void {
    // Still queued: it is dropped and never written. Already taken: its outcome is unknown, and 503 says so.
    this.waiting.delete(write);
    fail(write, unavailable('the write was not acknowledged in time'));
  }
}

export function succeed<R>(write: QueuedWrite<unknown, R>, result: R): void {
  if (write.settled) return;
  write.settled = true;
  clearTimeout(write.timer);
  write.resolve(result);
}

export function fail<R>(write: QueuedWrite<unknown, R>, err: AppError): void {
  if (write.settled) return;
  write.settled = true;
  clearTimeout(write.timer);
  write.reject(err);
}
