import { leaseShape } from '../../src/limits/leaseSlots';
import { SharedBuckets, type SharedBucketsOptions } from '../../src/limits/sharedBuckets';
import { TokenBuckets, type Policy } from '../../src/limits/tokenBuckets';
import type { LeaseStore } from '../../src/store/rateLimitStore';

const policy: Policy = { name: 'partner', ratePerSecond: 20, burst: 40 };

/** The database's part, in memory: an insert wins unless the id is there already. */
function aStore() {
  const ids = new Set<string>();
  const store = {
    calls: 0,
    failing: false,
    claim(id: string) {
      store.calls += 1;
      if (store.failing) return Promise.reject(new Error('database down'));
      const won = !ids.has(id);
      ids.add(id);
      return Promise.resolve(won);
    },
  };
  return store;
}

function instances(count: number, store: LeaseStore, clock: { now: number }, options: Partial<SharedBucketsOptions> = {}) {
  return Array.from({ length: count }, () => new SharedBuckets(store, { claimTimeoutMs: 500, renewTimeoutMs: 100, probeEveryMs: 2000, nowMs: () => clock.now, ...options }));
}

/** Sends `total` requests `perSecond`, round-robin over the instances; the number allowed. */
async function send(buckets: SharedBuckets[], clock: { now: number }, perSecond: number, total: number, p = policy): Promise<number> {
  let allowed = 0;
  for (let i = 0; i < total; i++) {
    clock.now += 1000 / perSecond;
    if ((await buckets[i % buckets.length]!.take('partner-a', p)).allowed) allowed += 1;
  }
  return allowed;
}

describe('leases', () => {
  test('when a burst is cut into leases, then a lease is a tenth of it (at least one request) and the leases make up the burst', () => {
    expect(leaseShape(policy)).toEqual({ size: 4, slots: 10, slotMs: 200 });
    expect(leaseShape({ name: 'partner', ratePerSecond: 1, burst: 2 })).toEqual({ size: 1, slots: 2, slotMs: 1000 });
    expect(leaseShape({ name: 'partner', ratePerSecond: 50, burst: 100 })).toMatchObject({ size: 10, slots: 10 });
  });
});

describe('SharedBuckets', () => {
  test('when three instances share one store and are sent twice the limit, then together they allow burst + rate × time within 10%, with fewer store calls than requests', async () => {
    const clock = { now: 1_700_000_000_000 };
    const store = aStore();
    const allowed = await send(instances(3, store, clock), clock, 40, 200);
    const expected = policy.burst + policy.ratePerSecond * 5;
    expect(allowed).toBeGreaterThanOrEqual(0.9 * expected);
    expect(allowed).toBeLessThanOrEqual(1.1 * expected);
    expect(store.calls).toBeLessThan(200);
  });

  test('when one instance is alone, then it answers as its own bucket did: the same decisions, remaining counts and waits', async () => {
    const clock = { now: 1_700_000_000_000 };
    const [shared] = instances(1, aStore(), clock);
    const alone = new TokenBuckets(10, () => clock.now / 1000);
    const slow: Policy = { name: 'partner', ratePerSecond: 1, burst: 10 };
    for (let i = 0; i < 14; i++) {
      clock.now += 50;
      const expected = alone.take('partner-a', slow);
      expect(await shared!.take('partner-a', slow)).toEqual(expected);
    }
  });

  test('when a request is refunded, then its request comes back to this instance, and refunds never add to what was leased', async () => {
    const clock = { now: 1_700_000_000_000 };
    const store = aStore();
    const [buckets] = instances(1, store, clock);
    const tight: Policy = { name: 'partner', ratePerSecond: 1, burst: 2 };
    await buckets!.take('partner-a', tight);
    for (let i = 0; i < 10; i++) {
      expect((await buckets!.take('partner-a', tight)).allowed).toBe(true);
      buckets!.refund('partner-a', tight);
    }
    expect(buckets!.peek('partner-a', tight).remaining).toBe(1);
    // Refunds beyond what was spent add nothing.
    buckets!.refund('partner-a', tight);
    buckets!.refund('partner-a', tight);
    expect(buckets!.peek('partner-a', tight).remaining).toBe(1);
    expect(store.calls).toBe(2);
  });

  test('when the store fails, then each instance limits alone, says so and counts its decisions; once the store answers, limits are shared again', async () => {
    const clock = { now: 1_700_000_000_000 };
    const store = aStore();
    const events: string[] = [];
    const options = { onShared: (shared: boolean) => events.push(shared ? 'shared' : 'alone'), onLocalDecision: () => events.push('local') };
    const buckets = instances(2, store, clock, options);
    store.failing = true;
    // Each instance allows its own burst (slow to refill): twice what one shared limit would.
    const slow: Policy = { name: 'partner', ratePerSecond: 1, burst: 20 };
    const allowed = await send(buckets, clock, 1000, 100, slow);
    expect(allowed).toBe(2 * slow.burst);
    expect(buckets.map((b) => b.isShared)).toEqual([false, false]);
    expect(events.filter((e) => e === 'alone')).toHaveLength(2);
    expect(events.filter((e) => e === 'local')).toHaveLength(100);

    store.failing = false;
    clock.now += 2500;
    await send(buckets, clock, 1000, 4);
    // A request is decided alone while the store is tried again in the background.
    await Promise.resolve();
    expect(buckets.map((b) => b.isShared)).toEqual([true, true]);
    expect(events.filter((e) => e === 'shared')).toHaveLength(2);
  });

  test('when the store hangs, then a request waits no longer than the claim timeout and is decided alone', async () => {
    const hanging: LeaseStore = { claim: () => new Promise<boolean>(() => undefined) };
    const [buckets] = instances(1, hanging, { now: 1_700_000_000_000 }, { claimTimeoutMs: 20 });
    const decision = await buckets!.take('partner-a', policy);
    expect(decision.allowed).toBe(true);
    expect(buckets!.isShared).toBe(false);
  });

  test('when a lease is about to lapse unspent, then the next is claimed ahead without a request waiting, and a database gone quiet is noticed by that claim', async () => {
    const clock = { now: 1_700_000_000_000 };
    let claims = 0;
    // The first lease is won; every claim after it hangs.
    const store: LeaseStore = { claim: () => (++claims === 1 ? Promise.resolve(true) : new Promise<boolean>(() => undefined)) };
    let quiet!: () => void;
    const noticed = new Promise<void>((resolve) => (quiet = resolve));
    const [buckets] = instances(1, store, clock, { renewTimeoutMs: 30, onShared: (shared) => shared || quiet() });
    const wide: Policy = { name: 'partner', ratePerSecond: 1000, burst: 1000 };
    // The first lease is the oldest slot's, which leaves the bucket 100 ms later: half of it is gone.
    expect((await buckets!.take('partner-a', wide)).allowed).toBe(true);
    clock.now += 50;
    // Spent from the lease held, while the next lease is claimed in the background.
    expect((await buckets!.take('partner-a', wide)).allowed).toBe(true);
    expect(claims).toBe(2);
    expect(buckets!.isShared).toBe(true);
    await noticed;
    expect(buckets!.isShared).toBe(false);
  });

  test('when all leases of the bucket are taken by other instances, then a request is refused with 0 left and a wait until the next lease', async () => {
    const clock = { now: 1_700_000_000_100 };
    const store = aStore();
    const [busy, late] = instances(2, store, clock);
    for (let i = 0; i < 40; i++) expect((await busy!.take('partner-a', policy)).allowed).toBe(true);
    const refused = await late!.take('partner-a', policy);
    expect(refused).toMatchObject({ allowed: false, remaining: 0, resetSeconds: 1, retryAfterSeconds: 1 });
    // It learnt each taken lease once, by a refused insert, and keeps that knowledge.
    const calls = store.calls;
    expect((await late!.take('partner-a', policy)).allowed).toBe(false);
    expect(store.calls).toBe(calls);
  });
});
