// The numbering bench's control run (numberingBench.mjs): blocks that cannot conflict.

/**
 * The control for what conflicts cost: each instance takes blocks from a range of its own
 * (instance k from block k × 10^10 up), still one unique insert per batch, so nothing but the
 * race for the next block differs. It gives up the order across instances, so it exists only
 * here, never in the service: the gap between it and the real blocks is what conflicts cost.
 */
export function disjointLeases(EventIdLeases, instance) {
  let taken = 0;
  EventIdLeases.prototype.take = async function take() {
    taken += 1;
    const block = instance * 1e10 + taken;
    await this.blocks.insertOne({ _id: block });
    this.stats.leases += 1;
    return block;
  };
}
