/**
 * Group commit for small database calls: what requests ask for while a call is on its way is
 * sent together in the next one, and each request gets its own item's result. One call at a
 * time, so a busy service makes fewer, larger calls, and an idle one answers at once (unless the
 * batches linger, see the constructor).
 */
export class Batches<Item, Result> {
  private waiting: { item: Item; since: number; resolve: (result: Result) => void; reject: (err: unknown) => void }[] = [];
  private running = false;

  /**
   * `run` answers a batch: one result per item, in the same order; a failure fails the whole
   * batch. `lingerMs`: a call waits until its oldest item has waited that long, gathering more
   * (where a call costs far more than an item, and its items can wait); a call on its way counts
   * as waiting, so no item waits for two lingers.
   */
  constructor(
    private readonly run: (items: Item[]) => Promise<Result[]>,
    private readonly maxBatch = 1000,
    private readonly lingerMs = 0,
  ) {}

  add(item: Item): Promise<Result> {
    const result = new Promise<Result>((resolve, reject) => this.waiting.push({ item, since: performance.now(), resolve, reject }));
    // Started once the current task is done, so what it asked for goes together.
    if (!this.running) {
      this.running = true;
      queueMicrotask(() => void this.drain());
    }
    return result;
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const lingered = performance.now() - this.waiting[0]!.since;
        if (lingered < this.lingerMs) await new Promise((resolve) => setTimeout(resolve, this.lingerMs - lingered));
        const batch = this.waiting.splice(0, this.maxBatch);
        try {
          const results = await this.run(batch.map((w) => w.item));
          batch.forEach((w, i) => w.resolve(results[i] as Result));
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
