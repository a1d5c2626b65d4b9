import { ThrottledWrite } from './throttledWrite';

/** The event_id hint is raised at most this often. */
export const HINT_INTERVAL_MS = 100;

/**
 * The hint of the highest event_id taken, as one writer keeps it up to date beside the events
 * (see EventWriter for why numbering starts from a hint). Raised off the write path, to the
 * highest known when each update starts. Only a hint: one that lags (a failed update, or the
 * last moments before a crash) costs one exact read later, never a wrong number.
 */
export class EventIdHint {
  private target = 0;
  private recorded = 0;
  private readonly updates: ThrottledWrite;

  /** `record` stores the hint (never lowering it). */
  constructor(record: (highest: number) => Promise<void>) {
    this.updates = new ThrottledWrite(
      async () => {
        const target = this.target;
        await record(target);
        this.recorded = Math.max(this.recorded, target);
      },
      () => this.recorded < this.target,
      HINT_INTERVAL_MS,
    );
  }

  /** Every event_id up to `highest` is taken: the hint follows, soon. */
  raise(highest: number): void {
    this.target = Math.max(this.target, highest);
    this.updates.poke();
  }

  /** Brings the hint up to date (a clean stop does this, so a restart starts from the truth). */
  flush(): Promise<void> {
    return this.updates.flush();
  }
}
