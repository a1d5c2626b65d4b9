import type { Collection, Db } from 'mongodb';
import { isDuplicateKey } from './dbErrors';
import { readableEvent, type EventDocument } from './eventDocument';
import type { Chunk, Chunks } from './feedChunk';
import { EVENTS_COLLECTION } from './eventStore';
import type { Placement } from './feedPlacement';
import { sequence, type Sequence } from './sequences';

export const LEASES_COLLECTION = 'leases';
const FEED_LEASE = 'feed_sequencer';
/** Chunks written per pass at most. */
export const CHUNKS_PER_PASS = 10;
/** The sequence holding the number of the newest chunk recorded: readers look no further. */
export const FEED_HEAD_SEQUENCE = 'feed_chunk';

/** The newest chunk a reader may read (a lookup in a small collection). */
export const feedHead = (db: Db): Sequence => sequence(db, FEED_HEAD_SEQUENCE);

interface LeaseDocument {
  _id: string;
  holder: string;
  until: Date;
}

export interface SequencerOptions {
  /** Events per chunk at most. */
  chunkSize: number;
  /** This instance's name in the lease. */
  instance: string;
  leaseMs: number;
  /** How placed events are told from the others (see feedPlacement.ts). */
  placement: (db: Db) => Placement;
}

/** Serves the sequencer's search for unplaced events, where the database uses indexes. */
export async function createFeedIndex(db: Db): Promise<void> {
  await db.collection<EventDocument>(EVENTS_COLLECTION).createIndex({ feed_chunk: 1, event_id: 1 }, { name: 'events_by_feed_chunk' });
}

/**
 * Gives stored events their place in the feed, after they commit ("feed sync id"). Numbering at
 * insert cannot promise a reader never skips: an event can commit after another with a larger
 * event_id has been read (a writer holding its number while others commit theirs, or number
 * blocks leased per instance). Here a position is given only to an event already committed,
 * and chunk n+1 is written only by a sequencer that has seen chunk n complete, so chunks become
 * visible in order and a reader at any position can only find new events after it.
 *
 * A pass: (1) make sure every event of the newest chunk is recorded as placed (a sequencer may
 * have stopped between writing a chunk and recording it); (2) read unplaced events, oldest
 * event_id first; (3) insert them as chunk n+1, which a unique `_id` lets only one sequencer do;
 * (4) record them as placed, and raise the feed's head (readers look no further than it, so a
 * reader at the end costs the database one small read). An event is unplaced until (4), and (2)
 * runs only after the newest chunk is recorded, so no event is ever placed twice, and one that
 * commits late is simply picked up by a later pass. Correct with any number of sequencers; a lease keeps it to one so
 * that the others do not waste the database's time. How "placed" is kept depends on the
 * database (feedPlacement.ts).
 */
export class FeedSequencer {
  private readonly placement: Placement;
  private readonly leases: Collection<LeaseDocument>;
  private readonly published: Sequence;
  /** The pass under way (settled when none is): the next waits for it. */
  private lastPass: Promise<unknown> = Promise.resolve();
  /** The newest chunk this sequencer raised the feed's head to. */
  private publishedUpTo = 0;
  /** The newest chunk as this sequencer last saw it complete; undefined when it must be read. */
  private head: { id: number; next_position: number } | undefined;

  constructor(
    db: Db,
    private readonly chunks: Chunks,
    private readonly options: SequencerOptions,
  ) {
    this.placement = options.placement(db);
    this.leases = db.collection<LeaseDocument>(LEASES_COLLECTION);
    this.published = feedHead(db);
  }

  /** Takes or renews the lease; false while another instance holds it. */
  async lease(now = new Date()): Promise<boolean> {
    const until = new Date(now.getTime() + this.options.leaseMs);
    const mine = { $or: [{ holder: this.options.instance }, { until: { $lt: now } }] };
    const renewed = await this.leases.updateOne({ _id: FEED_LEASE, ...mine }, { $set: { holder: this.options.instance, until } });
    if (renewed.matchedCount === 1) return true;
    try {
      await this.leases.insertOne({ _id: FEED_LEASE, holder: this.options.instance, until });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  /**
   * One pass: up to CHUNKS_PER_PASS chunks from one read of the unplaced events (on the local
   * database that read costs the same however many it returns). Each chunk is recorded before
   * the next is written, so only the newest can ever be left unrecorded. Returns the number of
   * events placed (0 when there were none, or another sequencer won). Passes of one sequencer
   * run one after another: a pass reads and replaces what the sequencer knows (its head, and
   * what its placement holds as placed), so two at once could leave it with an older view than
   * the chunks it wrote, and place their events again.
   */
  pass(): Promise<number> {
    const next = this.lastPass.then(() => this.passAlone());
    this.lastPass = next.catch(() => undefined);
    return next;
  }

  private async passAlone(): Promise<number> {
    let head = (this.head ??= await this.completeNewestChunk());
    // A head not raised (its update failed after the chunk was recorded) is raised first.
    if (this.publishedUpTo < head.id) await this.publish(head.id);
    const fresh = await this.placement.unplaced(this.options.chunkSize * CHUNKS_PER_PASS);
    let placed = 0;
    for (let from = 0; from < fresh.length; from += this.options.chunkSize) {
      const events = fresh.slice(from, from + this.options.chunkSize).map(readableEvent);
      const chunk: Chunk = { number: head.id + 1, first_position: head.next_position, events, ...this.placement.watermark?.(events) };
      // Until the chunk is recorded, no pass may read unplaced events (see above): if anything
      // fails from here, the next pass reads the newest chunk again and records it first.
      this.head = undefined;
      try {
        await this.chunks.insert(chunk);
      } catch (err) {
        // Another sequencer wrote this chunk first: start again from what it wrote.
        if (isDuplicateKey(err)) return placed;
        throw err;
      }
      await this.placement.record(chunk);
      head = this.head = { id: chunk.number, next_position: chunk.first_position + chunk.events.length };
      placed += chunk.events.length;
      await this.publish(chunk.number);
    }
    return placed;
  }

  /** Reads the newest chunk again and records it; the head from which the next chunk follows. */
  private async completeNewestChunk(): Promise<{ id: number; next_position: number }> {
    const newest = await this.placement.reload(this.chunks.collection);
    if (!newest) return { id: 0, next_position: 1 };
    await this.placement.record(newest);
    await this.publish(newest.number);
    return { id: newest.number, next_position: newest.first_position + newest.events.length };
  }

  private async publish(number: number): Promise<void> {
    await this.published.raise(number);
    this.publishedUpTo = Math.max(this.publishedUpTo, number);
  }
}
