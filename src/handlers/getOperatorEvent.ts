import type { Handler } from '../http/context';
import { eventReply } from './getEvent';
import type { ReadDeps } from './listEvents';

/** GET /operator/events/{event_id}: one live event, whichever partner sent it. */
export function getOperatorEvent({ reads }: ReadDeps): Handler<'getOperatorEvent'> {
  return (ctx) => eventReply(ctx, reads, () => true);
}
