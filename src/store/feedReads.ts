import type { Db } from 'mongodb';
import type { FeedCursor } from './cursors';
import { toAppError } from './dbErrors';
import { toStoredEvent, type StoredEvent } from './eventDocument';
import type { Chunks } from './feedChunk';
import { feedHead } from './feedSequencer';

export type FeedEvent = StoredEvent & { feed_position: number };

export interface FeedPage {
  events: FeedEvent[];
  next: FeedCursor;
  /** More events are there now: the reader may ask again at once. */
  hasMore: boolean;
}

export interface FeedReads {
  /**
   * Events after `after` (from the start when undefined), at most `limit`, of `partners` only
   * when given. Each database read is given up after `maxTimeMs`.
   */
  read(after: FeedCursor | undefined, limit: number, partners: readonly string[] | null, maxTimeMs: number): Promise<FeedPage>;
}

/** Chunks looked at per request at most, so that a token limited to a quiet partner gets an answer soon. */
const MAX_CHUNKS_PER_READ = 20;

/**
 * Reading the feed is one lookup by `_id` per chunk (most often answered from the chunks this
 * process keeps in memory), and chunks are numbered without gaps, so the next chunk's number
 * is always known. The feed's head says which is the newest recorded: a reader at the end of the
 * feed costs one small read, and does not look for chunks beyond it.
 */
export function openFeedReads(db: Db, chunks: Chunks): FeedReads {
  const head = feedHead(db);

  async function read(after: FeedCursor | undefined, limit: number, partners: readonly string[] | null, maxTimeMs: number): Promise<FeedPage> {
    const allowed = partners ? new Set(partners) : undefined;
    let at = after ?? { chunk: 1, offset: 0 };
    const newest = await head.read(maxTimeMs);
    const events: FeedEvent[] = [];
    for (let looked = 0; looked < MAX_CHUNKS_PER_READ && at.chunk <= newest; looked++) {
      const doc = await chunks.get(at.chunk, maxTimeMs);
      // Recorded as the head but not readable yet (a lagging secondary): the end, for now.
      if (!doc) return { events, next: at, hasMore: false };
      let offset = at.offset;
      for (; offset < doc.events.length && events.length < limit; offset++) {
        const event = doc.events[offset]!;
        if (!allowed || allowed.has(event.partner)) events.push({ ...toStoredEvent(event), feed_position: doc.first_position + offset });
      }
      at = offset >= doc.events.length ? { chunk: at.chunk + 1, offset: 0 } : { chunk: at.chunk, offset };
      if (events.length >= limit) break;
    }
    // More is there when the cursor stops at or before the newest chunk (the loop steps past a chunk once it is read through).
    return { events, next: at, hasMore: at.chunk <= newest };
  }

  return {
    async read(after, limit, partners, maxTimeMs) {
      try {
        return await read(after, limit, partners, maxTimeMs);
      } catch (err) {
        throw toAppError(err);
      }
    },
  };
}
