/**
 * Remembers partners found by key hash for a short time, so most requests need no database read.
 * Only hits are kept (a key created a moment ago works at once), and an entry lives at most
 * `ttlMs`, which bounds how long a revocation or an ended grace period can go unnoticed.
 */
export function cachedLookup<T>(
  lookup: (keyHash: string) => Promise<T | null>,
  options: { ttlMs: number; maxEntries?: number; now?: () => number },
): (keyHash: string) => Promise<T | null> {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 10000;
  const entries = new Map<string, { value: T; until: number }>();
  return async (keyHash) => {
    const hit = entries.get(keyHash);
    if (hit && hit.until > now()) return hit.value;
    entries.delete(keyHash);
    const value = await lookup(keyHash);
    if (value !== null && options.ttlMs > 0) {
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
      entries.set(keyHash, { value, until: now() + options.ttlMs });
    }
    return value;
  };
}
