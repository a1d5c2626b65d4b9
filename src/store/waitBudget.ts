import { AppError } from '../errors';

/**
 * How long one request may still wait for the database, across all its calls (the partner
 * lookup, a re-read, the write): DB_TIMEOUT_MS in all. A call still pending when the budget runs
 * out is answered 503 at once; the call itself goes on, and its result is dropped.
 */
export class WaitBudget {
  private spentMs = 0;

  constructor(
    readonly limitMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  get remainingMs(): number {
    return Math.max(0, this.limitMs - this.spentMs);
  }

  /** Waits for `operation` within what is left; database_unavailable when that is not enough. */
  async wait<T>(operation: Promise<T>): Promise<T> {
    const remaining = this.remainingMs;
    if (remaining <= 0) {
      operation.catch(() => undefined);
      throw new AppError('database_unavailable');
    }
    const started = this.clock();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AppError('database_unavailable')), remaining);
    });
    try {
      return await Promise.race([operation, deadline]);
    } finally {
      clearTimeout(timer);
      this.spentMs += this.clock() - started;
    }
  }

  /**
   * Runs a database call given what is left as its own limit (so the database stops the work),
   * and stops waiting for it when that runs out (whether or not the database does).
   */
  async within<T>(call: (remainingMs: number) => Promise<T>): Promise<T> {
    const remaining = this.remainingMs;
    if (remaining <= 0) throw new AppError('database_unavailable');
    return this.wait(call(remaining));
  }

  /** Counts time spent waiting elsewhere (a write with its own timer) against the budget. */
  async spend<T>(run: (remainingMs: number) => Promise<T>): Promise<T> {
    const started = this.clock();
    try {
      return await run(this.remainingMs);
    } finally {
      this.spentMs += this.clock() - started;
    }
  }
}
