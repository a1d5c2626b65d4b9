import type { Collection, Db } from 'mongodb';
import { RecentMap } from '../recentMap';
import type { EventDocument, ReadableEvent } from './eventDocument';

export const FEED_CHUNKS_COLLECTION = 'feed_chunks';

/** One chunk of the feed: events placed together, at consecutive positions. Never changed once written. */
export interface ChunkDocument {
  /** chunkKey(number): a string, because the local database finds a document by `_id` only when it is one. */
  _id: string;
  /** 1, 2, 3, …: chunk n+1 is written only after chunk n. */
  number: number;
  first_position: number;
  /** Copies of the events' readable fields, so that reading the feed is one lookup per chunk. */
  events: Array<ReadableEvent & { key: NonNullable<EventDocument['_id']> }>;
  created_at: Date;
}

/** Zero-padded, so that keys sort as their numbers do. */
export function chunkKey(n: number): string {
  return String(n).padStart(15, '0');
}

/** Chunks a process keeps in memory: readers near the end of the feed then read no database. */
const CACHED_CHUNKS = 16;

/**
 * The chunks collection as the sequencer and readers share it in one process. Chunks are never
 * changed once written, so the most recent ones are kept in memory (the sequencer puts each one
 * it writes): a reader following the feed, the common case, costs the database nothing for them.
 */
export class Chunks {
  readonly collection: Collection<ChunkDocument>;
  private readonly cache = new RecentMap<number, ChunkDocument>(CACHED_CHUNKS);

  constructor(db: Db) {
    this.collection = db.collection<ChunkDocument>(FEED_CHUNKS_COLLECTION);
  }

  /** Chunk `n`, or null when it is not written yet. */
  async get(n: number): Promise<ChunkDocument | null> {
    const cached = this.cache.touch(n);
    if (cached) return cached;
    const doc = await this.collection.findOne({ _id: chunkKey(n) }, { readConcern: { level: 'majority' } });
    if (doc) this.cache.set(n, doc);
    return doc;
  }

  /** Writes chunk `doc.number`; throws the duplicate-key error when another sequencer wrote it first. */
  async insert(doc: ChunkDocument): Promise<void> {
    await this.collection.insertOne(doc);
    this.cache.set(doc.number, doc);
  }
}
