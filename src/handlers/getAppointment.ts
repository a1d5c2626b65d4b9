import { appointmentState } from '../appointments/state';
import { AppError } from '../errors';
import type { Handler, RequestContext } from '../http/context';
import type { EventReads } from '../store/eventReads';
import type { ReadDeps } from './listEvents';
import { consumerOf, partnersToRead } from './readScope';

/** The state worked out from all of one appointment's events; 404 when it has none. */
export async function appointmentReply(ctx: RequestContext, reads: EventReads, partner: string, appointmentId: string) {
  const events = await ctx.budget.within((ms) => reads.appointmentEvents(partner, appointmentId, ms));
  if (events.length === 0) {
    throw new AppError('not_found', [{ loc: ['path', 'appointment_id'], msg: 'no events for this appointment', type: 'not_found.appointment' }]);
  }
  ctx.outcome.returned = events.length;
  return { status: 200 as const, contentType: 'application/json' as const, body: appointmentState(partner, appointmentId, events) };
}

/** GET /appointments/{partner}/{appointment_id}, for a consumer whose token covers the partner. */
export function getAppointment({ reads }: ReadDeps): Handler<'getAppointment'> {
  return (ctx) => {
    const partner = ctx.params.partner!;
    partnersToRead(consumerOf(ctx), partner, ['path', 'partner']);
    return appointmentReply(ctx, reads, partner, ctx.params.appointment_id!);
  };
}
