import { AppError } from '../errors';
import type { Handler } from '../http/context';
import type { ReadDeps } from './listEvents';
import { consumerOf } from './readScope';

/** GET /events/{event_id}: one event, if the token may read its partner's events (404 otherwise, as if absent). */
export function getEvent({ reads }: ReadDeps): Handler<'getEvent'> {
  return async (ctx) => {
    const consumer = consumerOf(ctx);
    const eventId = Number(ctx.params.event_id);
    const event = await ctx.budget.within((ms) => reads.get(eventId, ms));
    if (!event || (consumer.partners && !consumer.partners.includes(event.partner))) {
      throw new AppError('not_found', [{ loc: ['path', 'event_id'], msg: 'no such event', type: 'not_found.event' }]);
    }
    ctx.outcome.returned = 1;
    return { status: 200, contentType: 'application/json', body: event };
  };
}
