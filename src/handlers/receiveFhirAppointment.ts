import type { Appointment, Bundle } from '@medplum/fhirtypes';
import type { Handler } from '../http/context';
import { readFhirBody } from '../inputs/fhirAppointment';
import { storeFhirEvents } from './fhirEvents';
import { noteOutcome, refuseIfAny, type MessageDeps } from './messageEvents';
import { partnerOf } from './partnerScope';

/**
 * Stores the Appointments of a FHIR R4 resource or subscription notification as events, all or
 * none (fhirEvents.ts), answering 201 once every one is stored (200 when there is nothing to store).
 */
export function receiveFhirAppointment(deps: MessageDeps): Handler<'receiveFhirAppointment'> {
  return async (ctx, body) => {
    const partner = partnerOf(ctx);
    // Validation has vouched for the outline the spec declares; the reader checks the rest.
    const reading = readFhirBody(body as unknown as Appointment | Bundle, { identifierSystem: partner.inputs.fhirIdentifierSystem });
    refuseIfAny(deps.checkEvent(reading.events));
    const mode = partner.mode === 'test' ? ({ mode: 'test' } as const) : {};
    if (reading.events.length === 0) {
      return { status: 200, contentType: 'application/json', body: { status: 'success', message: 'Nothing to store', events: [], ignored: reading.ignored, ...mode } };
    }
    const { saved, source } = await storeFhirEvents(deps, ctx.budget, partner, reading.events, { idempotencyKey: ctx.req.get('idempotency-key') });
    const replayed = noteOutcome(ctx, saved, source);
    const events = saved.map(({ accepted, replayed: again }) => ({ event_id: accepted.event_id, received_at: accepted.received_at, replayed: again, data: accepted.data }));
    return {
      status: 201,
      contentType: 'application/json',
      body: { status: 'success', message: 'Events received and stored successfully', events, ignored: reading.ignored, ...mode },
      headers: replayed ? { 'Idempotent-Replayed': 'true' } : {},
    };
  };
}
