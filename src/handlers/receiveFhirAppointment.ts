import type { Appointment, Bundle } from '@medplum/fhirtypes';
import type { Handler } from '../http/context';
import { idempotencyOf, messageIdempotency } from '../idempotency';
import { readFhirBody } from '../inputs/fhirAppointment';
import type { AppointmentEvent, InputEvent } from '../inputs/inputEvent';
import type { KeyMode } from '../store/partnerStore';
import { instantOf } from '../timestamp';
import { noteOutcome, refuseIfAny, refuseLongIds, saveAll, type MessageDeps, type MessageEvent } from './messageEvents';
import { partnerOf } from './partnerScope';

/**
 * Stores the Appointments of a FHIR R4 resource or subscription notification as events, all or
 * none, answering 201 once every one is stored (200 when there is nothing to store).
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
    const items = reading.events.map((input): MessageEvent => {
      const controlId = input.controlId;
      const explicit = { idempotencyKey: ctx.req.get('idempotency-key'), webhookId: partner.webhookId };
      return {
        event: input.event,
        // A version names its event; a lone Appointment without one is keyed as a JSON event is.
        idempotency: controlId !== undefined ? messageIdempotency(partner.name, input.event, `fhir|${controlId}`) : idempotencyOf(partner.name, input.event, explicit),
        source: { format: 'fhir', control_id: controlId },
        keyLoc: controlId !== undefined ? ['body', ...resourceLoc(input), 'meta', 'versionId'] : ['header', partner.webhookId !== undefined ? 'webhook-id' : 'idempotency-key'],
      };
    });
    refuseLongIds(items);
    decideReschedules(ctx.budget.remainingMs, deps, partner.mode, partner.name, reading.events, items);
    const saved = await saveAll(ctx, deps, partner, items);
    const replayed = noteOutcome(ctx, saved, items[0]!.idempotency.source);
    const events = saved.map(({ accepted, replayed: again }) => ({ event_id: accepted.event_id, received_at: accepted.received_at, replayed: again, data: accepted.data }));
    return {
      status: 201,
      contentType: 'application/json',
      body: { status: 'success', message: 'Events received and stored successfully', events, ignored: reading.ignored, ...mode },
      headers: replayed ? { 'Idempotent-Replayed': 'true' } : {},
    };
  };
}

/**
 * FHIR has no reschedule status: a `booked` Appointment whose start differs from the start of the
 * booked version before it (by meta.lastUpdated, whatever order they arrive in; see
 * AppointmentStarts) was moved. Decided while the events queue for their write (each item's
 * `eventType`), not before: on the local database a claim is an insert of its own. The
 * fingerprint was taken before, so a resend matches its first delivery. Versions in one
 * notification are claimed one by one, in the order they happened.
 */
function decideReschedules(timeoutMs: number, deps: MessageDeps, mode: KeyMode, partner: string, inputs: readonly InputEvent[], items: MessageEvent[]): void {
  const booked = inputs.flatMap((input, i) => {
    if (input.bookedStart === undefined) return [];
    const start = new Date(input.bookedStart);
    // A start JavaScript cannot place (a leap second) is compared with nothing and not kept.
    // FHIR servers that number versions (HAPI, Azure) start at 1: version 1 has none before it.
    const first = input.controlId?.endsWith('/_history/1') === true;
    return Number.isNaN(start.getTime()) ? [] : [{ i, id: input.event.appointment_id, start, asOf: instantOf(input.event.timestamp), first }];
  });
  booked.sort((a, b) => a.asOf.getTime() - b.asOf.getTime());
  const decided = booked.map(({ i }) => {
    const decision = Promise.withResolvers<AppointmentEvent['event_type']>();
    // An event answered without a write (a replay) never asks: its decision must not go unhandled.
    decision.promise.catch(() => undefined);
    items[i]!.eventType = decision.promise;
    return decision;
  });
  void (async () => {
    for (const [k, { i, id, start, asOf, first }] of booked.entries()) {
      try {
        const before = first ? deps.starts.claimFirst(mode, partner, id, { start, asOf }) : await deps.starts.claim(mode, partner, id, { start, asOf }, timeoutMs);
        decided[k]!.resolve(before !== undefined && before.start.getTime() !== start.getTime() ? 'appointment.rescheduled' : items[i]!.event.event_type);
      } catch (err) {
        for (const decision of decided.slice(k)) decision.reject(err);
        return;
      }
    }
  })();
}

/** Where the Appointment an event came from sits in the body: `['entry', i, 'resource']`, or the root. */
function resourceLoc(input: InputEvent): (string | number)[] {
  const origin = input.origins.appointment_id;
  const at = origin.indexOf('resource');
  return at < 0 ? [] : origin.slice(0, at + 1);
}
