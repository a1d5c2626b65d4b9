import type { EventDocument, ReadableEvent } from './eventDocument';

export const FEED_CHUNKS_COLLECTION = 'feed_chunks';

/** One chunk of the feed: events placed together, in event_id order, at consecutive positions. */
export interface ChunkDocument {
  _id: number;
  first_position: number;
  /** Copies of the events' readable fields, so that reading the feed is one lookup per chunk. */
  events: Array<ReadableEvent & { key: NonNullable<EventDocument['_id']> }>;
  created_at: Date;
}
