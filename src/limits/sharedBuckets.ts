import { RecentMap } from '../recentMap';
import type { LeaseStore } from '../store/rateLimitStore';
import type { WaitBudget } from '../store/waitBudget';
import { LeasePool, poolId } from './leasePool';
import { openSlots, pickSlot, slotExpiry } from './leaseSlots';
import { TokenBuckets, type Decision, type Policy } from './tokenBuckets';

/** What the request pipeline spends a partner's requests from. */
export interface PartnerBuckets {
  take(key: string, policy: Policy, budget?: WaitBudget): Promise<Decision>;
  peek(key: string, policy: Policy): Decision;
  refund(key: string, policy: Policy): void;
}

export interface SharedBucketsOptions {
  /** Longest a claim that requests wait for may take before this instance decides alone (a request waits less when its budget is shorter). */
  claimTimeoutMs: number;
  /** The same for a lease renewed ahead, which no request waits for yet: shorter, so a database gone quiet is noticed before any does. */
  renewTimeoutMs: number;
  /** While deciding alone, how often a lease is tried for again (in the background). */
  probeEveryMs: number;
  /** Told when limits turn shared (true) or per instance (false). */
  onShared?: (shared: boolean) => void;
  /** Told of each decision this instance takes alone. */
  onLocalDecision?: () => void;
  nowMs?: () => number;
  maxKeys?: number;
}

/** Claims a request waits for at most (others may spend a lease won while it waits): past that it is refused. */
const ROUNDS = 3;

/**
 * A partner's limit held by all instances on one database: each instance spends requests from
 * leases it wins (see leaseSlots.ts), one insert per lease. Its own bucket (the per-instance one
 * of before) is spent alongside and must allow too, so one instance alone answers exactly as
 * before; when the database fails or is slow, that bucket alone decides until a lease is won again.
 */
export class SharedBuckets implements PartnerBuckets {
  private readonly local: TokenBuckets;
  private readonly pools: RecentMap<string, LeasePool>;
  private readonly nowMs: () => number;
  private shared = true;
  private nextProbe = 0;

  constructor(
    private readonly store: LeaseStore,
    private readonly options: SharedBucketsOptions,
  ) {
    // The local bucket keeps its monotonic clock unless a test sets the time.
    const nowMs = options.nowMs;
    this.local = new TokenBuckets(options.maxKeys, nowMs && (() => nowMs() / 1000));
    this.pools = new RecentMap(options.maxKeys ?? 100_000);
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** False while this instance decides alone. */
  get isShared(): boolean {
    return this.shared;
  }

  async take(key: string, policy: Policy, budget?: WaitBudget): Promise<Decision> {
    if (!this.shared) return this.alone(key, policy);
    if (this.local.peek(key, policy).remaining < 1) return this.local.take(key, policy);
    const pool = this.pool(key, policy);
    try {
      if (!(await this.spendShared(pool, budget))) return pool.refuse(this.nowMs());
    } catch {
      return this.alone(key, policy);
    }
    const local = this.local.take(key, policy);
    // A lease about to leave the bucket unspent is renewed ahead, so that requests do not wait for
    // the next one, and so that a database gone quiet is noticed before they would.
    if (pool.runsOutUnspent(this.nowMs(), this.options.renewTimeoutMs * 2)) void this.claimFor(pool, this.options.renewTimeoutMs).catch(() => undefined);
    if (local.allowed) return tighter(local, pool.decide(this.nowMs(), true));
    // Another request spent this instance's last token while this one waited for its lease.
    pool.giveBack(this.nowMs());
    return local;
  }

  peek(key: string, policy: Policy): Decision {
    const local = this.local.peek(key, policy);
    const pool = this.pools.get(poolId(key, policy));
    return this.shared && pool ? tighter(local, pool.decide(this.nowMs(), false)) : local;
  }

  refund(key: string, policy: Policy): void {
    this.local.refund(key, policy);
    this.pools.get(poolId(key, policy))?.giveBack(this.nowMs());
  }

  /** The per-instance decision; now and then a lease is tried for, to find the database back. */
  private alone(key: string, policy: Policy): Decision {
    this.options.onLocalDecision?.();
    const now = this.nowMs();
    if (now >= this.nextProbe) {
      this.nextProbe = now + this.options.probeEveryMs;
      void this.claimFor(this.pool(key, policy), this.options.claimTimeoutMs).catch(() => undefined);
    }
    return this.local.take(key, policy);
  }

  /** True once a request is spent from a lease; false when the shared allowance has none now. */
  private async spendShared(pool: LeasePool, budget?: WaitBudget): Promise<boolean> {
    // Requests that find no lease held wait for the claim under way rather than start their own.
    for (let round = 0; round < ROUNDS; round++) {
      if (pool.spend(this.nowMs())) return true;
      if (!(await this.within(this.claimFor(pool, this.options.claimTimeoutMs), budget))) break;
    }
    return pool.spend(this.nowMs());
  }

  /**
   * The claim under way for this pool, or a new one; true when it won a lease. Past `timeoutMs`
   * it fails (this instance then decides alone) for all who wait on it at once; the insert goes
   * on, and a lease it wins later is still spent.
   */
  private claimFor(pool: LeasePool, timeoutMs: number): Promise<boolean> {
    if (!pool.claim) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          this.setShared(false);
          reject(new Error('no lease within the claim timeout'));
        }, timeoutMs);
      });
      pool.claim = Promise.race([this.claim(pool), late]).finally(() => {
        clearTimeout(timer);
        pool.claim = undefined;
      });
      // Whoever waits handles its failure; one nobody waits for must not go unhandled.
      pool.claim.catch(() => undefined);
    }
    return pool.claim;
  }

  /** Tries open slots one after another (a duplicate teaches that one is taken), a bucket's worth at most. */
  private async claim(pool: LeasePool): Promise<boolean> {
    for (let attempt = 0; attempt < pool.shape.slots; attempt++) {
      const open = openSlots(pool.shape, this.nowMs(), pool.taken);
      if (open.length === 0) return false;
      const slot = pickSlot(pool.shape, open, this.nowMs(), pool.pace(this.nowMs()));
      const until = slotExpiry(pool.shape, slot);
      let won: boolean;
      try {
        won = await this.store.claim(`${pool.id}#${slot}`, new Date(until));
      } catch (err) {
        this.setShared(false);
        throw err;
      }
      this.setShared(true);
      if (won) {
        pool.won(slot, until, this.nowMs());
        return true;
      }
      pool.taken.add(slot);
    }
    return false;
  }

  /** Waits for a claim within what the request's database budget has left. */
  private within(claim: Promise<boolean>, budget?: WaitBudget): Promise<boolean> {
    return budget ? budget.wait(claim) : claim;
  }

  private setShared(shared: boolean): void {
    if (shared === this.shared) return;
    this.shared = shared;
    if (!shared) this.nextProbe = this.nowMs() + this.options.probeEveryMs;
    this.options.onShared?.(shared);
  }

  private pool(key: string, policy: Policy): LeasePool {
    const id = poolId(key, policy);
    let pool = this.pools.touch(id);
    if (!pool) this.pools.set(id, (pool = new LeasePool(key, policy)));
    pool.forgetOld(this.nowMs());
    return pool;
  }
}

/** Of two decisions that both allowed, the one that leaves fewer requests (the later reset on a tie). */
function tighter(a: Decision, b: Decision): Decision {
  if (a.remaining !== b.remaining) return a.remaining < b.remaining ? a : b;
  return a.resetSeconds >= b.resetSeconds ? a : b;
}
