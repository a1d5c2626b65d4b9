import { currentSlot, leaseShape, openSlots, secondsToNextSlot, type LeaseShape } from './leaseSlots';
import type { Decision, Policy } from './tokenBuckets';

/** One bucket's share of a partner's shared allowance, as this instance knows it. */
export class LeasePool {
  /** The lease documents' _id prefix: the bucket and its policy (a changed policy starts afresh). */
  readonly id: string;
  readonly shape: LeaseShape;
  /** Leases won and not spent yet, and when their slot leaves the bucket. */
  leases: { tokens: number; until: number }[] = [];
  /** Slots known to be taken, by this instance or (from a duplicate) another. */
  readonly taken = new Set<number>();
  /** The claim under way, which requests that find no lease held wait for. */
  claim?: Promise<boolean>;
  private lastWon?: number;
  private spentSinceWon = 0;

  constructor(
    key: string,
    readonly policy: Policy,
  ) {
    this.id = poolId(key, policy);
    this.shape = leaseShape(policy);
  }

  /** Spends one request from a lease held; false when none is. */
  spend(nowMs: number): boolean {
    this.leases = this.leases.filter((lease) => lease.until > nowMs && lease.tokens > 0);
    const lease = this.leases[0];
    if (!lease) return false;
    lease.tokens -= 1;
    this.spentSinceWon += 1;
    return true;
  }

  /**
   * True when the leases held leave the bucket within `withinMs` (and within half the bucket's
   * window, so renewals never follow one another) with requests left that this instance, at its
   * pace, would not spend by then.
   */
  runsOutUnspent(nowMs: number, withinMs: number): boolean {
    if (this.claim || this.lastWon === undefined) return false;
    const held = this.leases.filter((lease) => lease.until > nowMs && lease.tokens > 0);
    if (held.length === 0) return false;
    const left = Math.max(...held.map((lease) => lease.until)) - nowMs;
    const tokens = held.reduce((sum, lease) => sum + lease.tokens, 0);
    const spendingMs = (tokens * (nowMs - this.lastWon)) / Math.max(1, this.spentSinceWon);
    return left < Math.min(withinMs, (this.shape.slots * this.shape.slotMs) / 2) && spendingMs > left;
  }

  /** A request spent that did not count: back to the lease that lasts longest, never past its size. */
  giveBack(nowMs: number): void {
    const lease = this.leases.filter((l) => l.until > nowMs).sort((a, b) => b.until - a.until)[0];
    if (lease) lease.tokens = Math.min(this.shape.size, lease.tokens + 1);
  }

  /** How long this instance takes to spend a whole lease, at its pace since it last won one (0 before the first). */
  pace(nowMs: number): number {
    return this.lastWon === undefined ? 0 : ((nowMs - this.lastWon) * this.shape.size) / Math.max(1, this.spentSinceWon);
  }

  won(slot: number, until: number, nowMs: number): void {
    this.lastWon = nowMs;
    this.spentSinceWon = 0;
    this.taken.add(slot);
    this.leases.push({ tokens: this.shape.size, until });
  }

  /** Forgets taken slots that have left the bucket, so the set never outgrows it. */
  forgetOld(nowMs: number): void {
    const bottom = currentSlot(this.shape, nowMs) - this.shape.slots;
    for (const slot of this.taken) if (slot <= bottom) this.taken.delete(slot);
  }

  /** Where the shared allowance stands: leases held plus the open slots not known to be taken. */
  decide(nowMs: number, allowed: boolean): Decision {
    const held = this.leases.reduce((sum, lease) => sum + (lease.until > nowMs ? lease.tokens : 0), 0);
    const remaining = held + this.shape.size * openSlots(this.shape, nowMs, this.taken).length;
    const reset = remaining >= this.shape.size * this.shape.slots ? 0 : secondsToNextSlot(this.shape, nowMs);
    return { allowed, policy: this.policy, remaining, resetSeconds: reset, retryAfterSeconds: remaining >= 1 ? 0 : reset };
  }

  /** The refusal when no lease could be won: nothing left here until the next slot opens. */
  refuse(nowMs: number): Decision {
    const wait = secondsToNextSlot(this.shape, nowMs);
    return { allowed: false, policy: this.policy, remaining: 0, resetSeconds: wait, retryAfterSeconds: wait };
  }
}

export function poolId(key: string, policy: Policy): string {
  return `${key}|${policy.ratePerSecond}|${policy.burst}`;
}
