import type { Db } from 'mongodb';
import type { FeedCursor } from './cursors';
import { toAppError } from './dbErrors';
import { toStoredEvent, type StoredEvent } from './eventDocument';
import { FEED_CHUNKS_COLLECTION, type ChunkDocument } from './feedChunk';

export type FeedEvent = StoredEvent & { feed_position: number };

export interface FeedPage {
  events: FeedEvent[];
  next: FeedCursor;
  /** More events are there now: the reader may ask again at once. */
  hasMore: boolean;
}

export interface FeedReads {
  /** Events after `after` (from the start when undefined), at most `limit`, of `partners` only when given. */
  read(after: FeedCursor | undefined, limit: number, partners: readonly string[] | null): Promise<FeedPage>;
}

/** Chunks looked at per request at most, so that a token limited to a quiet partner gets an answer soon. */
const MAX_CHUNKS_PER_READ = 20;

/**
 * Reading the feed is one lookup by `_id` per chunk (the one lookup the local database serves
 * without decoding every document), and chunks are numbered without gaps, so the next chunk's
 * number is always known. A chunk that does not exist yet is where the feed ends for now.
 */
export function openFeedReads(db: Db): FeedReads {
  const chunks = db.collection<ChunkDocument>(FEED_CHUNKS_COLLECTION);
  const chunk = async (id: number): Promise<ChunkDocument | null> => {
    try {
      return await chunks.findOne({ _id: id }, { readConcern: { level: 'majority' } });
    } catch (err) {
      throw toAppError(err);
    }
  };

  return {
    async read(after, limit, partners) {
      const allowed = partners ? new Set(partners) : undefined;
      let at = after ?? { chunk: 1, offset: 0 };
      const events: FeedEvent[] = [];
      for (let looked = 0; looked < MAX_CHUNKS_PER_READ; looked++) {
        const doc = await chunk(at.chunk);
        if (!doc) return { events, next: at, hasMore: false };
        let offset = at.offset;
        for (; offset < doc.events.length && events.length < limit; offset++) {
          const event = doc.events[offset]!;
          if (!allowed || allowed.has(event.partner)) events.push({ ...toStoredEvent(event), feed_position: doc.first_position + offset });
        }
        at = offset >= doc.events.length ? { chunk: at.chunk + 1, offset: 0 } : { chunk: at.chunk, offset };
        if (events.length >= limit) break;
      }
      // Whether more is there: the rest of this chunk, or a next chunk.
      const hasMore = at.offset > 0 || (await chunk(at.chunk)) !== null;
      return { events, next: at, hasMore };
    },
  };
}
