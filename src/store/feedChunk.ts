import type { Collection, Db } from 'mongodb';
import { RecentMap } from '../recentMap';
import { maxTimeMS } from './dbErrors';
import type { ReadableEvent } from './eventDocument';

export const FEED_CHUNKS_COLLECTION = 'feed_chunks';

/** One chunk of the feed: events placed together, at consecutive positions. Never changed once written. */
export interface Chunk {
  /** 1, 2, 3, …: chunk n+1 is written only after chunk n. */
  number: number;
  first_position: number;
  events: ReadableEvent[];
  /**
   * Every event_id up to this one was placed, or counted as a number no event holds, when this
   * chunk was written: a sequencer reading the chunks again starts from it (only the local
   * database's placement keeps one).
   */
  through?: number;
  /** Numbers up to `through` counted as held by no event after a search, still looked for (a write may land late). */
  open?: number[];
}

/** A chunk as stored. */
export interface ChunkDocument {
  /**
   * chunkKey(number): a string, because only a string `_id` is matched inside the local
   * database's SQL (a scan of raw rows, no index); any other filter decodes every chunk first.
   */
  _id: string;
  number: number;
  first_position: number;
  /** How many events `events` holds. */
  count: number;
  /** The events, encoded by encodeEvents. */
  events: string;
  through?: number;
  open?: number[];
  created_at: Date;
}

/** Zero-padded, so that keys sort as their numbers do. */
export function chunkKey(n: number): string {
  return String(n).padStart(15, '0');
}

/**
 * Copies of events kept beside them (feed chunks, arrivals) are stored as one JSON text: the
 * database stores and returns it as a single value, which the local database (FerretDB) does
 * several times faster than an array of documents, and nothing ever queries inside them.
 */
export function encodeEvents(events: readonly ReadableEvent[]): string {
  return JSON.stringify(events);
}

export function decodeEvents(text: string): ReadableEvent[] {
  const events = JSON.parse(text) as Array<ReadableEvent & { timestamp: string; received_at: string }>;
  return events.map((e) => ({ ...e, timestamp: new Date(e.timestamp), received_at: new Date(e.received_at) }));
}

export const toChunkDocument = (chunk: Chunk): ChunkDocument => ({
  _id: chunkKey(chunk.number),
  number: chunk.number,
  first_position: chunk.first_position,
  count: chunk.events.length,
  events: encodeEvents(chunk.events),
  ...(chunk.through !== undefined ? { through: chunk.through } : {}),
  ...(chunk.open?.length ? { open: chunk.open } : {}),
  created_at: new Date(),
});

export const fromChunkDocument = (doc: ChunkDocument): Chunk => ({
  number: doc.number,
  first_position: doc.first_position,
  events: decodeEvents(doc.events),
  ...(doc.through !== undefined ? { through: doc.through } : {}),
  ...(doc.open?.length ? { open: doc.open } : {}),
});

/** Chunks a process keeps in memory: readers near the end of the feed then read no database. */
const CACHED_CHUNKS = 64;

/**
 * The chunks collection as the sequencer and readers share it in one process. Chunks are never
 * changed once written, so the most recent ones are kept in memory, decoded (the sequencer puts
 * each one it writes): a reader following the feed, the common case, costs the database nothing
 * for them. At most CACHED_CHUNKS of FEED_CHUNK_SIZE events each.
 */
export class Chunks {
  readonly collection: Collection<ChunkDocument>;
  private readonly cache = new RecentMap<number, Chunk>(CACHED_CHUNKS);

  constructor(db: Db) {
    this.collection = db.collection<ChunkDocument>(FEED_CHUNKS_COLLECTION);
  }

  /** Chunk `n`, or null when it is not written yet; the database gives up after `maxTimeMs`. */
  async get(n: number, maxTimeMs: number): Promise<Chunk | null> {
    const cached = this.cache.touch(n);
    if (cached) return cached;
    const doc = await this.collection.findOne({ _id: chunkKey(n) }, { readConcern: { level: 'majority' }, maxTimeMS: maxTimeMS(maxTimeMs) });
    if (!doc) return null;
    const chunk = fromChunkDocument(doc);
    this.cache.set(n, chunk);
    return chunk;
  }

  /** Writes chunk `chunk.number`; throws the duplicate-key error when another sequencer wrote it first. */
  async insert(chunk: Chunk): Promise<void> {
    await this.collection.insertOne(toChunkDocument(chunk));
    this.cache.set(chunk.number, chunk);
  }
}
