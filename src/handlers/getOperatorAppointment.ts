import type { Handler } from '../http/context';
import { appointmentReply } from './getAppointment';
import type { ReadDeps } from './listEvents';

/** GET /operator/appointments/{partner}/{appointment_id}: one appointment's state, for any partner. */
export function getOperatorAppointment({ reads }: ReadDeps): Handler<'getOperatorAppointment'> {
  return (ctx) => appointmentReply(ctx, reads, ctx.params.partner!, ctx.params.appointment_id!);
}
