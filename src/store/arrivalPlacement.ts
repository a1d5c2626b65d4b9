import { setTimeout as delay } from 'node:timers/promises';
import type { Db } from 'mongodb';
import { readableEvent, type EventDocument, type ReadableEvent } from './eventDocument';
import { EVENTS_COLLECTION, EVENT_ID_SEQUENCE } from './eventStore';
import { arrivalsOf, decodeHoles } from './feedArrivals';
import { decodeEvents, fromChunkDocument, type Chunk } from './feedChunk';
import type { Placement } from './feedPlacement';
import { PlacedIds } from './placedIds';
import { sequence } from './sequences';

const MAJORITY = { readConcern: { level: 'majority' as const } };
/** Reads of the chunks that miss one, before a pass gives up (and the feed loop backs off). */
const RELOAD_ATTEMPTS = 5;
/** A gap that the events themselves do not fill is looked for again at most this rarely. */
const MAX_GAP_WAIT_MS = 10 * 60_000;
/** Holes still looked for that a chunk names at most (the newest). */
const OPEN_KEPT = 1000;

export interface ArrivalPlacementOptions {
  /** How long an event may go without its arrival before the events are searched for it. */
  graceMs: number;
  /** Milliseconds on a steady clock (tests move it). */
  now?: () => number;
}

/**
 * The placement for the local database (FerretDB on SQLite), which reads a whole collection for
 * every query and holds its one write lock for seconds on an update of many events. So events are
 * never updated there: writers list what they stored in arrivals (feedArrivals.ts), the sequencer
 * reads those (deleting the arrivals whose events are all placed), and what is placed is kept as
 * event_ids in memory (PlacedIds), rebuilt from the chunks when a sequencer starts or loses a race.
 *
 * Writers take event_ids in blocks (eventIdLeases.ts) and tell, in their arrivals, the numbers no
 * event will hold: these count as placed at once. An event stored without its arrival (its writer
 * crashed, or its insert was answered with an error after it was stored) shows as a number missing
 * below events known or below the highest event_id stored: once that has lasted `graceMs`, the
 * events above the placed ones are read (one scan; a sequencer that starts also reads them once).
 * A number still missing then was leased and never stored: a hole, counted as placed and looked
 * for again, less and less often. Each chunk keeps how far every number is placed or counted
 * (`through`) and the holes still looked for (`open`): a sequencer reading the chunks again
 * starts from there. The newest events of a crashed instance wait for the next event stored or
 * sequencer start: a limit of the local database only (MongoDB finds them through an index).
 */
export function arrivalPlacement(db: Db, options: ArrivalPlacementOptions): Placement {
  const events = db.collection<EventDocument>(EVENTS_COLLECTION);
  const arrivals = arrivalsOf(db);
  const highestTaken = sequence(db, EVENT_ID_SEQUENCE);
  const now = options.now ?? (() => performance.now());
  let placed = new PlacedIds();
  /** The event_ids of each arrival read, to delete it once all of them are placed. */
  let held = new Map<string, number[]>();
  let gap: { at: number; since: number; wait: number; ceiling: number } | undefined;
  /** The highest event_id known stored (placed, or read among the unplaced). */
  let highestSeen = 0;
  /** Numbers counted as placed though no chunk holds them (holes), and when to look for them again. */
  const abandoned = new Set<number>();
  let late: { ids: number[]; due: number; wait: number }[] = [];
  const inChunk = (id: number) => placed.has(id) && !abandoned.has(id);
  /** Search the events at the next chance, without a grace: after a start, and while searches keep finding events. */
  let scanNow = false;

  async function deleteSpent(): Promise<void> {
    const spent = [...held].filter(([, ids]) => ids.every(inChunk)).map(([id]) => id);
    if (spent.length === 0) return;
    await arrivals.deleteMany({ _id: { $in: spent } });
    for (const id of spent) held.delete(id);
  }

  /**
   * Adds to `fresh` what the events hold beyond a gap that has lasted its grace (at most `limit`
   * of them, so a long backlog goes a pass at a time and memory stays bounded).
   */
  async function fillGap(fresh: Map<number, ReadableEvent>, limit: number): Promise<void> {
    const next = placed.through + 1;
    if (fresh.has(next)) {
      gap = undefined;
      return;
    }
    const hinted = fresh.size > 0 || placed.outOfOrder > 0 ? 0 : await highestTaken.read();
    const beyond = scanNow || fresh.size > 0 || placed.outOfOrder > 0 || hinted > placed.through;
    if (!beyond) {
      gap = undefined;
      return;
    }
    if (gap?.at !== next) {
      // A loop, not a spread: after a backlog `fresh` may hold more ids than a call takes arguments.
      let ceiling = Math.max(highestSeen, hinted);
      for (const id of fresh.keys()) if (id > ceiling) ceiling = id;
      gap = { at: next, since: now(), wait: options.graceMs, ceiling };
    }
    if (!scanNow && now() - gap.since < gap.wait) return;
    let found = 0;
    for await (const doc of events.find({ event_id: { $gt: placed.through } }, MAJORITY)) {
      if (inChunk(doc.event_id) || fresh.has(doc.event_id)) continue;
      fresh.set(doc.event_id, readableEvent(doc));
      if (++found >= limit) break;
    }
    scanNow = found > 0;
    if (found < limit && now() - gap.since >= options.graceMs) abandonHoles(next, gap.ceiling, fresh);
    // A number the events do not hold either is looked for again, less and less often.
    gap = { ...gap, since: now(), wait: Math.min(gap.wait * 2, MAX_GAP_WAIT_MS) };
  }

  /** Numbers up to `ceiling` that a full scan did not find, a grace after they were leased: holes. */
  function abandonHoles(from: number, ceiling: number, fresh: Map<number, ReadableEvent>): void {
    const holes: number[] = [];
    for (let id = from; id <= ceiling; id++) if (!placed.has(id) && !fresh.has(id)) holes.push(id);
    if (holes.length === 0) return;
    for (const id of holes) {
      placed.add(id);
      abandoned.add(id);
    }
    late.push({ ids: holes, due: now() + options.graceMs, wait: options.graceMs });
  }

  /** Looks again for holes whose time has come: an insert may have been slower than the grace. */
  async function lookAgain(fresh: Map<number, ReadableEvent>): Promise<void> {
    const due = late.filter((entry) => now() >= entry.due);
    const ids = due.flatMap((entry) => entry.ids).filter((id) => abandoned.has(id));
    if (ids.length > 0) for await (const doc of events.find({ event_id: { $in: ids } }, MAJORITY)) fresh.set(doc.event_id, readableEvent(doc));
    for (const entry of due) entry.due = now() + (entry.wait *= 2);
    // Past the longest wait, a hole is taken for good.
    for (const entry of late) if (entry.wait > MAX_GAP_WAIT_MS) for (const id of entry.ids) abandoned.delete(id);
    late = late.filter((entry) => entry.wait <= MAX_GAP_WAIT_MS);
  }

  return {
    watermark(events) {
      const ids = new Set(events.map((e) => e.event_id));
      let through = placed.through;
      while (placed.has(through + 1) || ids.has(through + 1)) through += 1;
      // Counted holes still looked for: whoever reads the chunks again looks for them too.
      const open = [...abandoned].filter((id) => id <= through && !ids.has(id)).sort((a, b) => a - b);
      return { through, open: open.slice(-OPEN_KEPT) };
    },
    async unplaced(limit) {
      // Arrivals whose events the pass before placed (or held only events placed already).
      await deleteSpent();
      const fresh = new Map<number, ReadableEvent>();
      held = new Map();
      for await (const arrival of arrivals.find({}, MAJORITY)) {
        const arrived = decodeEvents(arrival.events);
        held.set(arrival._id, arrived.map((e) => e.event_id));
        for (const event of arrived) if (!inChunk(event.event_id)) fresh.set(event.event_id, event);
        // Numbers a writer told unused: placed, never looked for.
        for (const [first, last] of decodeHoles(arrival.holes)) placed.addRange(first, last);
      }
      await lookAgain(fresh);
      await fillGap(fresh, limit);
      for (const id of fresh.keys()) highestSeen = Math.max(highestSeen, id);
      return [...fresh.values()].sort((a, b) => a.event_id - b.event_id).slice(0, limit);
    },
    record(chunk) {
      // Arrivals all placed are deleted by the next pass, once for all its chunks (a delete reads every arrival here).
      for (const { event_id } of chunk.events) {
        placed.add(event_id);
        abandoned.delete(event_id);
        highestSeen = Math.max(highestSeen, event_id);
      }
      return Promise.resolve();
    },
    async reload(chunks) {
      // The newest chunk comes from the same read as the placed ids (one written meanwhile would
      // otherwise be the head while an older one is unknown); a read that missed a chunk is made again.
      for (let attempt = 1; ; attempt++) {
        const known = new PlacedIds();
        let newest: Chunk | null = null;
        let count = 0;
        const found = new Set<number>(); // holes looked for whose events a chunk holds (another sequencer found them)
        for await (const doc of chunks.find({}, MAJORITY)) {
          const chunk = fromChunkDocument(doc);
          count++;
          if (!newest || chunk.number > newest.number) newest = chunk;
          for (const event of chunk.events) {
            known.add(event.event_id);
            if (abandoned.has(event.event_id)) found.add(event.event_id);
            highestSeen = Math.max(highestSeen, event.event_id);
          }
          if (chunk.through) known.addRange(1, chunk.through);
        }
        if (count === (newest?.number ?? 0)) {
          // Holes stay holes, still looked for (unless a chunk holds their events), and so do those
          // the newest chunk's sequencer was looking for (no chunk holds those: see watermark).
          for (const id of abandoned) if (found.has(id)) abandoned.delete(id);
          else known.add(id);
          const restored = (newest?.open ?? []).filter((id) => !abandoned.has(id));
          for (const id of restored) abandoned.add(id);
          if (restored.length > 0) late.push({ ids: restored, due: now() + options.graceMs, wait: options.graceMs });
          placed = known;
          // Events stored while no sequencer ran may have no arrival (a writer that crashed): looked for at once.
          scanNow = true;
          return newest;
        }
        if (attempt >= RELOAD_ATTEMPTS) throw new Error(`feed chunks are not numbered 1 to ${newest?.number} (${count} found)`);
        await delay(100 * attempt);
      }
    },
  };
}
