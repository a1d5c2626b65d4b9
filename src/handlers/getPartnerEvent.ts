import { AppError } from '../errors';
import type { Handler, RequestContext } from '../http/context';
import type { EventLookup, PartnerEvents } from '../store/partnerEvents';
import { partnerOf } from './partnerScope';

export interface PartnerEventDeps {
  partnerEvents: PartnerEvents;
}

/** One of the calling partner's events, of its key's mode; another partner's is "not found", as if absent. */
export async function ownEvent(ctx: RequestContext, partnerEvents: PartnerEvents, lookup: EventLookup, loc: string[]) {
  const partner = partnerOf(ctx);
  const event = await ctx.budget.within((ms) => partnerEvents.find(partner.mode, partner.name, lookup, ms));
  if (!event) throw new AppError('not_found', [{ loc, msg: 'none of your events is stored under this id', type: 'not_found.event' }]);
  ctx.outcome.returned = 1;
  return { status: 200 as const, contentType: 'application/json' as const, body: event };
}

/** GET /webhook/events/{event_id}. */
export function getPartnerEvent({ partnerEvents }: PartnerEventDeps): Handler<'getPartnerEvent'> {
  return (ctx) => ownEvent(ctx, partnerEvents, { eventId: Number(ctx.params.event_id) }, ['path', 'event_id']);
}
