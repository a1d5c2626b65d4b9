import { appointmentState } from '../appointments/state';
import { AppError } from '../errors';
import type { Handler } from '../http/context';
import type { ReadDeps } from './listEvents';
import { consumerOf, partnersToRead } from './readScope';

/** GET /appointments/{partner}/{appointment_id}: the state worked out from all of the appointment's events. */
export function getAppointment({ reads }: ReadDeps): Handler<'getAppointment'> {
  return async (ctx) => {
    const consumer = consumerOf(ctx);
    const partner = ctx.params.partner!;
    const appointmentId = ctx.params.appointment_id!;
    partnersToRead(consumer, partner, ['path', 'partner']);
    const events = await ctx.budget.within((ms) => reads.appointmentEvents(partner, appointmentId, ms));
    if (events.length === 0) {
      throw new AppError('not_found', [{ loc: ['path', 'appointment_id'], msg: 'no events for this appointment', type: 'not_found.appointment' }]);
    }
    ctx.outcome.returned = events.length;
    return { status: 200, contentType: 'application/json', body: appointmentState(partner, appointmentId, events) };
  };
}
