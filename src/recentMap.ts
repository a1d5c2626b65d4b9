/**
 * A Map of at most `max` entries that forgets the least recently set (or, through `touch`, used)
 * entry when it runs out of room: every in-memory table keyed by client data (rate buckets,
 * partners found, events stored) is one of these, so none can grow without bound.
 */
export class RecentMap<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly max: number) {}

  /** The value, without making it more recent. */
  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** The value, made the most recent. */
  touch(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Stores the value as the most recent, forgetting the least recent entry when over `max`. */
  set(key: K, value: V): void {
    if (this.max <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as K);
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
