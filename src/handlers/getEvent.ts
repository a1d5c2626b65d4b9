import { AppError } from '../errors';
import type { Handler, RequestContext } from '../http/context';
import type { StoredEvent } from '../store/eventDocument';
import type { EventReads } from '../store/eventReads';
import type { ReadDeps } from './listEvents';
import { consumerOf } from './readScope';

/** One live event by its event_id, if `visible` lets the caller see it (404 otherwise, as if absent). */
export async function eventReply(ctx: RequestContext, reads: EventReads, visible: (event: StoredEvent) => boolean) {
  const event = await ctx.budget.within((ms) => reads.get(Number(ctx.params.event_id), ms));
  if (!event || !visible(event)) throw new AppError('not_found', [{ loc: ['path', 'event_id'], msg: 'no such event', type: 'not_found.event' }]);
  ctx.outcome.returned = 1;
  return { status: 200 as const, contentType: 'application/json' as const, body: event };
}

/** GET /events/{event_id}: one event, if the token may read its partner's events. */
export function getEvent({ reads }: ReadDeps): Handler<'getEvent'> {
  return (ctx) => {
    const { partners } = consumerOf(ctx);
    return eventReply(ctx, reads, (event) => !partners || partners.includes(event.partner));
  };
}
