import { setTimeout as delay } from 'node:timers/promises';

/** After a failed write, the next is tried this long after (doubling up to RETRY_MAX_MS) even if nothing pokes. */
const RETRY_MS = 1000;
const RETRY_MAX_MS = 30_000;

/**
 * A write kept off the request path: it runs one at a time, at most once every `intervalMs`, and
 * again as long as `due()` says something is left to write, so it costs the database a few
 * writes a second however many requests feed it. A failed write is tried again at the next poke,
 * or after a pause when nothing pokes (a quiet moment right after an outage).
 */
export class ThrottledWrite {
  private running = false;
  private lastStartedAt = -Infinity;
  private waiters: Array<() => void> = [];
  private retryMs = RETRY_MS;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly write: () => Promise<void>,
    private readonly due: () => boolean,
    private readonly intervalMs: number,
  ) {}

  /** Something is due: the write follows, soon. */
  poke(): void {
    if (this.running || !this.due()) return;
    this.running = true;
    clearTimeout(this.retry);
    void (async () => {
      let failed = false;
      try {
        const wait = this.lastStartedAt + this.intervalMs - performance.now();
        if (wait > 0) await delay(wait, undefined, { ref: false });
        this.lastStartedAt = performance.now();
        await this.write();
        this.retryMs = RETRY_MS;
      } catch {
        failed = true;
      } finally {
        this.running = false;
        for (const settled of this.waiters.splice(0)) settled();
      }
      if (!failed) {
        // What became due while this write ran goes next.
        this.poke();
        return;
      }
      this.retry = setTimeout(() => this.poke(), this.retryMs).unref();
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    })();
  }

  /** Writes everything due now, without waiting for the interval (a clean stop does this). */
  async flush(): Promise<void> {
    while (this.running) await new Promise<void>((resolve) => this.waiters.push(resolve));
    clearTimeout(this.retry);
    while (this.due()) await this.write();
  }
}
