// The numbering bench's control run (numberingBench.mjs): leases that cannot conflict.

/**
 * The control for what conflicts cost: each instance leases from a range of its own (instance k
 * from k × 10^12 up), still one unique insert per batch, so nothing but the race for the next
 * lease differs. It gives up the order across instances, so it exists only here, never in the
 * service: the gap between it and the real leases is what numbering conflicts cost.
 */
export function disjointLeases(EventIdLeases, instance) {
  let taken = 0;
  let next = instance * 1e12;
  EventIdLeases.prototype.take = async function take(count) {
    taken += 1;
    await this.leases.insertOne({ _id: instance * 1e12 + taken, count, first: next });
    const first = next;
    next += count;
    this.stats.leases += 1;
    return { first, last: first + count - 1 };
  };
}
