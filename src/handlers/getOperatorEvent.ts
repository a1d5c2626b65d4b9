import { AppError } from '../errors';
import type { Handler } from '../http/context';
import type { ReadDeps } from './listEvents';

/** GET /operator/events/{event_id}: one live event, whichever partner sent it. */
export function getOperatorEvent({ reads }: ReadDeps): Handler<'getOperatorEvent'> {
  return async (ctx) => {
    const event = await ctx.budget.within((ms) => reads.get(Number(ctx.params.event_id), ms));
    if (!event) throw new AppError('not_found', [{ loc: ['path', 'event_id'], msg: 'no such event', type: 'not_found.event' }]);
    ctx.outcome.returned = 1;
    return { status: 200, contentType: 'application/json', body: event };
  };
}
