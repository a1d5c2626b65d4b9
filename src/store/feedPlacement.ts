import type { Collection } from 'mongodb';
import type { EventDocument } from './eventDocument';
import type { ChunkDocument } from './feedChunk';

/**
 * Which stored events the feed has placed, and which it has not yet. Two ways, one contract:
 * `unplaced` never returns an event of a chunk passed to `record` (or read by `reload`).
 */
export interface Placement {
  /** Events not in any chunk recorded so far, smallest event_id first, at most `limit`. */
  unplaced(limit: number): Promise<EventDocument[]>;
  /** The chunk's events are placed (idempotent; also used to finish a chunk another sequencer wrote). */
  record(chunk: ChunkDocument): Promise<void>;
  /**
   * Forgets what it knew and reads the chunks again: the newest chunk (null when there is none),
   * which the sequencer then records and continues from.
   */
  reload(chunks: Collection<ChunkDocument>): Promise<ChunkDocument | null>;
}

const MAJORITY = { readConcern: { level: 'majority' as const } };

/**
 * Where the database uses indexes (MongoDB): each event is marked with its chunk, and the
 * unplaced are the unmarked, found through the index on (feed_chunk, event_id). One indexed
 * update per chunk; nothing held in memory.
 */
export function markedPlacement(events: Collection<EventDocument>): Placement {
  return {
    unplaced: (limit) => events.find({ feed_chunk: null }, { sort: { event_id: 1 }, limit, ...MAJORITY }).toArray(),
    async record(chunk) {
      await events.updateMany({ _id: { $in: chunk.events.map((e) => e.key) } }, { $set: { feed_chunk: chunk._id } });
    },
    reload: async (chunks) => (await chunks.find({}, { sort: { _id: -1 }, limit: 1, ...MAJORITY }).toArray())[0] ?? null,
  };
}

/**
 * The local database (FerretDB on SQLite) answers every query by reading the whole collection,
 * and an update of many events holds its one write lock for seconds, stalling every delivery.
 * So events are never updated there: the sequencer keeps the keys of the placed events in
 * memory (read from the chunks when it starts or loses a race) and finds the rest by reading
 * the events. Memory and each pass grow with the number of events: fine for a local database,
 * and the reason production uses the marked placement above.
 */
export function scannedPlacement(events: Collection<EventDocument>): Placement {
  let placed = new Set<string>();
  return {
    async unplaced(limit) {
      const fresh: EventDocument[] = [];
      for await (const doc of events.find({}, MAJORITY)) if (!placed.has(String(doc._id))) fresh.push(doc);
      return fresh.sort((a, b) => a.event_id - b.event_id).slice(0, limit);
    },
    record(chunk) {
      for (const event of chunk.events) placed.add(String(event.key));
      return Promise.resolve();
    },
    async reload(chunks) {
      // The newest chunk must come from the same read as the keys: one written meanwhile by
      // another sequencer would otherwise be the head while an older one it wrote is unknown.
      // A read that missed a chunk (a gap in the numbers) is made again.
      for (;;) {
        const known = new Set<string>();
        let newest: ChunkDocument | null = null;
        let count = 0;
        for await (const chunk of chunks.find({}, MAJORITY)) {
          count++;
          if (!newest || chunk._id > newest._id) newest = chunk;
          for (const event of chunk.events) known.add(String(event.key));
        }
        if (count === (newest?._id ?? 0)) {
          placed = known;
          return newest;
        }
      }
    },
  };
}
