import type { Policy } from './tokenBuckets';

/**
 * A partner's allowance shared by every instance, cut into leases of `size` requests. Time is cut
 * into slots of `slotMs`, each adding one lease (size / slotMs is the policy's rate); a bucket
 * holds the leases of the last `slots` slots (size × slots is the burst). A slot's lease can be
 * won once, by whichever instance inserts its document first (an insert against a unique _id is
 * atomic on MongoDB and on FerretDB alike); a slot no one won in time is lost, as tokens spill
 * over a full bucket. Slots follow the wall clock, so every instance numbers them alike.
 */
export interface LeaseShape {
  size: number;
  slots: number;
  slotMs: number;
}

/**
 * A lease is a tenth of the burst (at least one request): the shared count lets through at most
 * about one lease more than one bucket would, and falls short by what instances hold unspent (at
 * most a lease each), so a few instances stay within 10% of what the partner may send in any
 * window; and the database sees one insert per lease, not one per request.
 */
const LEASE_SHARE_OF_BURST = 10;

export function leaseShape(policy: Policy): LeaseShape {
  const size = Math.max(1, Math.floor(policy.burst / LEASE_SHARE_OF_BURST));
  return { size, slots: Math.max(1, Math.round(policy.burst / size)), slotMs: (size / policy.ratePerSecond) * 1000 };
}

/** The newest slot at `nowMs`: its lease may be won from the slot's start. */
export function currentSlot(shape: LeaseShape, nowMs: number): number {
  return Math.floor(nowMs / shape.slotMs);
}

/** When a slot leaves the bucket: a lease won for it is no longer spent after that. */
export function slotExpiry(shape: LeaseShape, slot: number): number {
  return (slot + shape.slots) * shape.slotMs;
}

/** Whole seconds (at least 1) until the next slot opens, as RateLimit's `t` and Retry-After count them. */
export function secondsToNextSlot(shape: LeaseShape, nowMs: number): number {
  return Math.max(1, Math.ceil(((currentSlot(shape, nowMs) + 1) * shape.slotMs - nowMs) / 1000));
}

/** The slots whose lease may still be won at `nowMs`, oldest first, but those known to be taken. */
export function openSlots(shape: LeaseShape, nowMs: number, taken: ReadonlySet<number>): number[] {
  const newest = currentSlot(shape, nowMs);
  const open: number[] = [];
  for (let slot = newest - shape.slots + 1; slot <= newest; slot++) if (!taken.has(slot)) open.push(slot);
  return open;
}

/**
 * The slot to try for: the oldest open one that stays in the bucket for `needMs` more (how long
 * this instance takes to spend a lease at its recent pace), else the newest. Oldest first, as a
 * bucket is spent: under a burst the old slots are won before they leave the bucket unspent; at
 * a slow pace a lease that lasts is picked, so it is spent rather than lost, with fewer inserts.
 */
export function pickSlot(shape: LeaseShape, open: readonly number[], nowMs: number, needMs: number): number {
  return open.find((slot) => slotExpiry(shape, slot) >= nowMs + needMs) ?? open[open.length - 1]!;
}
