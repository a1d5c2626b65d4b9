import type { Context } from 'openapi-backend';
import type { components } from '../../generated/openapi';
import type { Exchange, OperationHandler, Reply } from '../http/exchange';
import { locals } from '../http/requestLog';
import { AppError, InternalFault } from '../errors';
import { idempotencyOf } from '../idempotency';
import type { EventStore } from '../store/eventStore';

type AppointmentEvent = components['schemas']['AppointmentEvent'];

export interface ReceiveDeps {
  store: Pick<EventStore, 'saveEvent'>;
  now: () => Date;
}

/**
 * Stores a validated event and answers 201 only once the database has acknowledged it; a repeat
 * of a stored event gets that event's 201 again, marked Idempotent-Replayed.
 */
export function receiveAppointmentEvent({ store, now }: ReceiveDeps): OperationHandler {
  return async (c: Context, exchange: Exchange): Promise<Reply> => {
    // openapi-backend has validated the body against AppointmentEvent before this runs.
    const event = c.request.requestBody as AppointmentEvent;
    // The security step ran first; no partner here would mean the operation lost its security.
    const partner = exchange.partner;
    if (!partner) throw new AppError('internal', [], {}, { cause: new InternalFault('no authenticated partner') });
    const idempotency = idempotencyOf(partner.name, event, {
      idempotencyKey: exchange.req.get('idempotency-key'),
      webhookId: partner.webhookId,
    });
    // The write gets what the request's database budget has left after the partner lookup.
    const { accepted, replayed } = await exchange.budget.spend((remainingMs) => store.saveEvent(event, now(), partner.name, idempotency, remainingMs));
    Object.assign(locals(exchange.res), { eventId: accepted.event_id, replayed, eventType: event.event_type });
    // A repeat stores nothing new: it does not count against the partner's rate limit, so a
    // captured request replayed many times cannot starve the partner's own deliveries.
    if (replayed) exchange.refundRateLimit?.();
    return { status: 201, body: accepted, headers: replayed ? { 'Idempotent-Replayed': 'true' } : {} };
  };
}
