/** The event_id hint is raised at most this often. */
const HINT_INTERVAL_MS = 100;

/**
 * The hint of the highest event_id taken, as one writer keeps it up to date beside the events
 * (see EventWriter for why numbering starts from a hint). Raised off the write path: one update
 * at a time, to the highest known when it starts, and at most one every HINT_INTERVAL_MS, so the
 * hint costs the database a few writes a second however many batches there are. Only a hint: one
 * that lags (a failed update, or the last moments before a crash) costs one exact read later,
 * never a wrong number.
 */
export class EventIdHint {
  private target = 0;
  private recorded = 0;
  private raising = false;
  private lastRaisedAt = -Infinity;
  private settled: (() => void) | undefined;

  /** `record` stores the hint (never lowering it). */
  constructor(private readonly record: (highest: number) => Promise<void>) {}

  /** Every event_id up to `highest` is taken: the hint follows, soon. */
  raise(highest: number): void {
    this.target = Math.max(this.target, highest);
    if (this.raising || this.recorded >= this.target) return;
    this.raising = true;
    void (async () => {
      let failed = false;
      try {
        const wait = this.lastRaisedAt + HINT_INTERVAL_MS - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref());
        this.lastRaisedAt = performance.now();
        const target = this.target;
        await this.record(target);
        this.recorded = target;
      } catch {
        failed = true; // tried again with the next batch
      } finally {
        this.raising = false;
        this.settled?.();
      }
      // Batches stored while this update ran raise it again.
      if (!failed && this.recorded < this.target) this.raise(this.target);
    })();
  }

  /** Brings the hint up to date (a clean stop does this, so a restart starts from the truth). */
  async flush(): Promise<void> {
    while (this.raising) await new Promise<void>((resolve) => (this.settled = resolve));
    if (this.recorded >= this.target) return;
    const target = this.target;
    await this.record(target);
    this.recorded = target;
  }
}
