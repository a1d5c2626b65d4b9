import type { Collection, Db } from 'mongodb';
import type { EventDocument, ReadableEvent } from './eventDocument';
import { EVENTS_COLLECTION } from './eventStore';
import { fromChunkDocument, type Chunk, type ChunkDocument } from './feedChunk';

/**
 * Which stored events the feed has placed, and which it has not yet. Two ways, one contract:
 * `unplaced` never returns an event of a chunk passed to `record` (or read by `reload`).
 */
export interface Placement {
  /** Events not in any chunk recorded so far, smallest event_id first, at most `limit`. */
  unplaced(limit: number): Promise<ReadableEvent[]>;
  /** The chunk's events are placed (idempotent; also used to finish a chunk another sequencer wrote). */
  record(chunk: Chunk): Promise<void>;
  /**
   * Forgets what it knew and reads the chunks again: the newest chunk (null when there is none),
   * which the sequencer then records and continues from.
   */
  reload(chunks: Collection<ChunkDocument>): Promise<Chunk | null>;
  /** What a chunk of `events` keeps of what is placed (see Chunk's `through` and `open`). */
  watermark?(events: readonly ReadableEvent[]): Pick<Chunk, 'through' | 'open'>;
}

const MAJORITY = { readConcern: { level: 'majority' as const } };

async function newestChunk(chunks: Collection<ChunkDocument>): Promise<Chunk | null> {
  const [newest] = await chunks.find({}, { sort: { _id: -1 }, limit: 1, ...MAJORITY }).toArray();
  return newest ? fromChunkDocument(newest) : null;
}

/**
 * Where the database uses indexes (MongoDB): each event is marked with its chunk, and the
 * unplaced are the unmarked, found through the index on (feed_chunk, event_id). One indexed
 * update per chunk; nothing held in memory.
 */
export function markedPlacement(db: Db): Placement {
  const events = db.collection<EventDocument>(EVENTS_COLLECTION);
  return {
    unplaced: (limit) => events.find({ feed_chunk: null }, { sort: { event_id: 1 }, limit, ...MAJORITY }).toArray(),
    async record(chunk) {
      await events.updateMany({ event_id: { $in: chunk.events.map((e) => e.event_id) } }, { $set: { feed_chunk: chunk.number } });
    },
    reload: newestChunk,
  };
}
