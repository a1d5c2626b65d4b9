/** Writes after which the iterator that finds the least recent entry is made anew (see `oldest`). */
const REFRESH_AFTER = 1024;

/**
 * A Map of at most `max` entries that forgets the least recently set (or, through `touch`, used)
 * entry when it runs out of room: every in-memory table keyed by client data (rate buckets,
 * partners found, events stored) is one of these, so none can grow without bound.
 */
export class RecentMap<K, V> {
  private readonly entries = new Map<K, V>();
  /**
   * Where the least recent entry is looked for. A Map keeps deleted entries' slots until it
   * rehashes, and a fresh iterator steps over every one of them: with a full map of 10,000,
   * `keys().next()` took 5 µs a call. Every key this iterator passed was forgotten, and an entry
   * set again goes to the end, so the next live key it reaches is the least recent one; a fresh
   * iterator finds it too, only slower. So one is kept, but only for REFRESH_AFTER writes: an
   * iterator keeps every table the map has outgrown since it last moved (1,000,000 writes of 20
   * keys under a bound of 100,000 held 129 MB through one).
   */
  private oldest: MapIterator<K> | undefined;
  private writes = 0;

  constructor(private readonly max: number) {}

  /** The value, without making it more recent. */
  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** The value, made the most recent. */
  touch(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) this.write(key, value);
    return value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Stores the value as the most recent, forgetting the least recent entry when over `max`. */
  set(key: K, value: V): void {
    if (this.max <= 0) return;
    this.write(key, value);
    if (this.entries.size > this.max) {
      this.oldest ??= this.entries.keys();
      let next = this.oldest.next();
      // Never spent while the map is over its bound (every live key lies ahead of it); should an
      // engine differ, a fresh one finds the least recent entry all the same.
      if (next.done === true) next = (this.oldest = this.entries.keys()).next();
      if (next.done !== true) this.entries.delete(next.value);
    }
  }

  private write(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    this.counted();
  }

  /** Deletes count too: a map emptied by them would otherwise keep its old tables until written again. */
  private counted(): void {
    if (++this.writes >= REFRESH_AFTER) {
      this.writes = 0;
      this.oldest = undefined;
    }
  }

  delete(key: K): void {
    this.entries.delete(key);
    this.counted();
  }

  get size(): number {
    return this.entries.size;
  }
}
