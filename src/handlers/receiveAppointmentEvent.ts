import type { Handler } from '../http/context';
import { idempotencyOf } from '../idempotency';
import type { EventStore } from '../store/eventStore';
import { partnerOf } from './partnerScope';

export interface ReceiveDeps {
  store: Pick<EventStore, 'saveEvent'>;
  /** Where a test key's events go: apart from live ones. */
  testStore: Pick<EventStore, 'saveEvent'>;
  now: () => Date;
}

/**
 * Stores a validated event and answers 201 only once the database has acknowledged it; a repeat
 * of a stored event gets that event's 201 again, marked Idempotent-Replayed.
 */
export function receiveAppointmentEvent({ store, testStore, now }: ReceiveDeps): Handler<'receiveAppointmentEvent'> {
  return async (ctx, event) => {
    const partner = partnerOf(ctx);
    const idempotency = idempotencyOf(partner.name, event, {
      idempotencyKey: ctx.req.get('idempotency-key'),
      webhookId: partner.webhookId,
    });
    // The write gets what the request's database budget has left after the partner lookup.
    const target = partner.mode === 'test' ? testStore : store;
    const { accepted, replayed } = await ctx.budget.spend((remainingMs) => target.saveEvent(event, now(), partner.name, idempotency, remainingMs));
    Object.assign(ctx.outcome, { eventId: accepted.event_id, replayed, eventType: event.event_type, idempotency: idempotency.source });
    // A repeat stores nothing new: it does not count against the partner's rate limit, so a
    // captured request replayed many times cannot starve the partner's own deliveries.
    if (replayed) ctx.refundRateLimit?.();
    return { status: 201, contentType: 'application/json', body: accepted, headers: replayed ? { 'Idempotent-Replayed': 'true' } : {} };
  };
}
