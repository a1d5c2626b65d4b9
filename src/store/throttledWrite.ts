/**
 * A write kept off the request path: it runs one at a time, at most once every `intervalMs`, and
 * again as long as `due()` says something is left to write, so it costs the database a few
 * writes a second however many requests feed it. A failed write is tried again at the next poke.
 */
export class ThrottledWrite {
  private running = false;
  private lastStartedAt = -Infinity;
  private settled: (() => void) | undefined;

  constructor(
    private readonly write: () => Promise<void>,
    private readonly due: () => boolean,
    private readonly intervalMs: number,
  ) {}

  /** Something is due: the write follows, soon. */
  poke(): void {
    if (this.running || !this.due()) return;
    this.running = true;
    void (async () => {
      let failed = false;
      try {
        const wait = this.lastStartedAt + this.intervalMs - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref());
        this.lastStartedAt = performance.now();
        await this.write();
      } catch {
        failed = true; // tried again at the next poke
      } finally {
        this.running = false;
        this.settled?.();
      }
      // What became due while this write ran goes next.
      if (!failed) this.poke();
    })();
  }

  /** Writes what is due now, without waiting for the interval (a clean stop does this). */
  async flush(): Promise<void> {
    while (this.running) await new Promise<void>((resolve) => (this.settled = resolve));
    if (this.due()) await this.write();
  }
}
