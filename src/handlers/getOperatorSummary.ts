import type { Handler } from '../http/context';
import type { DeliveryReads } from '../store/deliveryReads';

export interface SummaryDeps {
  deliveries: DeliveryReads;
  /** Every active partner's name: each gets a row, quiet or not. */
  activePartners: (maxTimeMs: number) => Promise<string[]>;
  now: () => Date;
}

/** GET /operator/summary: deliveries per partner and refusals by type, over the last hour and day. */
export function getOperatorSummary({ deliveries, activePartners, now }: SummaryDeps): Handler<'getOperatorSummary'> {
  return async (ctx) => {
    const partners = await ctx.budget.within((ms) => activePartners(ms));
    const body = await ctx.budget.within((ms) => deliveries.summary(partners, now(), ms));
    return { status: 200, contentType: 'application/json', body };
  };
}
