import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { readableEvent, type EventDocument, type ReadableEvent } from './eventDocument';
import { encodeEvents } from './feedChunk';
import { ThrottledWrite } from './throttledWrite';

export const FEED_ARRIVALS_COLLECTION = 'feed_arrivals';
/** Arrivals are written at most this often per instance. */
const ARRIVAL_INTERVAL_MS = 100;
/** Events in one arrival at most, far below the database's document size limit. */
const EVENTS_PER_ARRIVAL = 2000;
/** Events waiting for an arrival at most (while the database refuses them); the gap search finds any dropped. */
const MAX_PENDING = 50_000;
/** Unused ranges waiting at most, likewise. */
const MAX_PENDING_HOLES = 20_000;

/** Event_ids first to last (inclusive) that no event holds: numbers of a writer's block it did not use. */
export type Hole = [first: number, last: number];

/** Holes as JSON text, as events are (and because the local database stores no nested arrays). */
export const encodeHoles = (holes: readonly Hole[]): string => JSON.stringify(holes);
export const decodeHoles = (text: string | undefined): Hole[] => (text === undefined ? [] : (JSON.parse(text) as Hole[]));

/** Events one instance stored, told to the feed sequencer; deleted once they are placed. */
export interface ArrivalDocument {
  _id: string;
  /** The events' readable fields, encoded by encodeEvents. */
  events: string;
  /** Numbers of the writer's event_id blocks that no event will ever hold, encoded by encodeHoles (absent when none). */
  holes?: string;
  created_at: Date;
}

export const arrivalsOf = (db: Db): Collection<ArrivalDocument> => db.collection<ArrivalDocument>(FEED_ARRIVALS_COLLECTION);

/** The arrival of these events, as a writer tells it. */
export const anArrival = (id: string, events: readonly ReadableEvent[], holes: readonly Hole[] = []): ArrivalDocument => ({
  _id: id,
  events: encodeEvents(events.map(readableEvent)),
  ...(holes.length > 0 ? { holes: encodeHoles(holes) } : {}),
  created_at: new Date(),
});

/**
 * Where the database answers every query by reading a whole collection (the local one, FerretDB
 * on SQLite), finding new events among all of them costs more with every event stored. So each
 * writer also tells the sequencer what it stored: one small document every ARRIVAL_INTERVAL_MS
 * at most, holding every event stored since the last. The sequencer reads these (a collection
 * it keeps nearly empty) instead of the events. An arrival lost to a crash delays its events,
 * never loses them: the sequencer looks among the events for a gap that outlives its grace.
 * Arrivals also tell the numbers of the writer's blocks that no event will hold, so that the
 * sequencer need not wait a grace for each of them.
 */
export class ArrivalLog {
  private pending: EventDocument[] = [];
  private holes: Hole[] = [];
  private readonly writes: ThrottledWrite;
  private readonly prefix = randomUUID();
  private written = 0;

  constructor(arrivals: Collection<ArrivalDocument>) {
    this.writes = new ThrottledWrite(
      async () => {
        const events = this.pending.splice(0, EVENTS_PER_ARRIVAL);
        const holes = this.holes.splice(0, EVENTS_PER_ARRIVAL);
        try {
          await arrivals.insertOne(anArrival(`${this.prefix}-${++this.written}`, events, holes));
        } catch (err) {
          // Nothing is lost: they go with the next arrival (or, after a crash, the gap search finds them).
          this.pending = events.concat(this.pending);
          this.holes = holes.concat(this.holes);
          throw err;
        }
      },
      () => this.pending.length > 0 || this.holes.length > 0,
      ARRIVAL_INTERVAL_MS,
    );
  }

  /** These events are stored (acknowledged by the database). */
  add(events: readonly EventDocument[]): void {
    if (events.length === 0) return;
    this.pending.push(...events);
    if (this.pending.length > MAX_PENDING) this.pending.splice(0, this.pending.length - MAX_PENDING);
    this.writes.poke();
  }

  /** Numbers first to last will never be stored. */
  skip(first: number, last: number): void {
    this.holes.push([first, last]);
    if (this.holes.length > MAX_PENDING_HOLES) this.holes.splice(0, this.holes.length - MAX_PENDING_HOLES);
    this.writes.poke();
  }

  flush(): Promise<void> {
    return this.writes.flush();
  }
}
