/**
 * A set of event_ids kept as "every one up to `through`" plus the few placed out of order above
 * it. Events are placed nearly in event_id order, so this stays small however many there are.
 */
export class PlacedIds {
  private upTo = 0;
  private readonly above = new Set<number>();

  /** Every event_id up to this one is in the set. */
  get through(): number {
    return this.upTo;
  }

  /** How many are in the set above `through`. */
  get outOfOrder(): number {
    return this.above.size;
  }

  has(id: number): boolean {
    return id <= this.upTo || this.above.has(id);
  }

  add(id: number): void {
    if (this.has(id)) return;
    if (id !== this.upTo + 1) {
      this.above.add(id);
      return;
    }
    this.upTo = id;
    while (this.above.delete(this.upTo + 1)) this.upTo += 1;
  }

  /** Adds first to last (inclusive): a block's unused numbers, often right after `through`. */
  addRange(first: number, last: number): void {
    if (first > this.upTo + 1) {
      for (let id = first; id <= last; id++) this.above.add(id);
      return;
    }
    if (last <= this.upTo) return;
    // Whichever is shorter: the range may be far longer than the few ids held above `through`.
    if (last - this.upTo > this.above.size) {
      for (const id of this.above) if (id <= last) this.above.delete(id);
    } else {
      for (let id = this.upTo + 1; id <= last; id++) this.above.delete(id);
    }
    this.upTo = last;
    while (this.above.delete(this.upTo + 1)) this.upTo += 1;
  }
}
