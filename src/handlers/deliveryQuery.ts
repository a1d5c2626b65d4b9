import { AppError } from '../errors';
import type { RequestContext } from '../http/context';
import { decodeDeliveriesCursor, encodeDeliveriesCursor } from '../store/cursors';
import type { DeliveryQuery, DeliveryReads } from '../store/deliveryReads';
import { instantOf } from '../timestamp';
import { single } from './readScope';

const STATUS_CLASSES = ['2xx', '4xx', '5xx'] as const;
const isStatusClass = (text: string | undefined): text is DeliveryQuery['statusClass'] & string => STATUS_CLASSES.some((c) => c === text);

/** The filters both delivery lists take (validation let through only the spec's forms). */
function deliveryQuery(ctx: RequestContext, partner: string | undefined): DeliveryQuery {
  const q = ctx.query;
  const cursorText = single(q.cursor);
  const afterKey = cursorText === undefined ? undefined : decodeDeliveriesCursor(cursorText);
  if (cursorText !== undefined && afterKey === undefined) {
    throw new AppError('invalid_query', [{ loc: ['query', 'cursor'], msg: 'not a cursor of a delivery list', type: 'value_error.cursor' }]);
  }
  const statusClass = single(q.status_class);
  const from = single(q.from);
  const before = single(q.before);
  return {
    ...(partner !== undefined ? { partner } : {}),
    ...(isStatusClass(statusClass) ? { statusClass } : {}),
    type: single(q.type),
    from: from === undefined ? undefined : instantOf(from),
    before: before === undefined ? undefined : instantOf(before),
    requestId: single(q.request_id),
    afterKey,
    limit: Number(single(q.limit) ?? 50),
  };
}

/** One page of the delivery log, as both the partners' and the operators' lists answer it. */
export async function deliveryPage(ctx: RequestContext, deliveries: DeliveryReads, partner: string | undefined) {
  const page = await ctx.budget.within((ms) => deliveries.list(deliveryQuery(ctx, partner), ms));
  ctx.outcome.returned = page.deliveries.length;
  const next = page.lastKey === undefined ? null : encodeDeliveriesCursor(page.lastKey);
  return { status: 200 as const, contentType: 'application/json' as const, body: { data: page.deliveries, next_cursor: next, has_more: next !== null } };
}
