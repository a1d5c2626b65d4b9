import { ERROR_CODES } from '../errorCatalogue';
import { hl7Ack, readHl7Header, type AckCode } from '../inputs/hl7Ack';
import { operationOutcome } from '../inputs/operationOutcome';
import type { RequestContext } from './context';
import type { ErrorReply } from './errorTable';
import type { WireReply } from './writeReply';

/** Refusals an HL7 sender must not resend unchanged as if the content were at fault: the message was not taken at all. */
const REJECTED_TYPES = new Set(['value_error.hl7.message_type', 'value_error.hl7.trigger_event', 'value_error.hl7.version', 'value_error.hl7.charset', 'value_error.hl7.processing_id']);

const lenientUtf8 = new TextDecoder('utf-8');

/**
 * MSA-1 of a refusal: AE when the message was read and its content is at fault (400, 422), AR
 * when it was not taken at all (an unsupported message, credentials, limits, an outage).
 */
export function ackCodeOf(reply: Pick<ErrorReply, 'status' | 'body'>): AckCode {
  if (reply.status !== 400 && reply.status !== 422) return 'AR';
  return reply.body.errors.some((e) => REJECTED_TYPES.has(e.type)) ? 'AR' : 'AE';
}

/**
 * A refusal as the route's senders read one: an HL7 acknowledgement for HL7 v2 messages, an
 * OperationOutcome for FHIR; the error envelope everywhere else. Status and headers stay.
 */
export function inRouteFormat(ctx: RequestContext, reply: ErrorReply): WireReply {
  const operation = ctx.outcome.operationId;
  if (operation === 'receiveHl7v2Message') {
    // The header of the message, when it arrived, names the sender the acknowledgement goes back to.
    const received = ctx.bodyBytes ? readHl7Header(lenientUtf8.decode(ctx.bodyBytes)) : undefined;
    const body = hl7Ack({ received, ackCode: ackCodeOf(reply), controlId: ctx.requestId, now: ctx.receivedAt, errors: reply.error.details, text: ERROR_CODES[reply.error.code].message });
    return { status: reply.status, contentType: 'application/hl7-v2', headers: reply.headers, body };
  }
  if (operation === 'receiveFhirAppointment') {
    // FHIRPaths start at the resource sent, when it was read far enough to tell.
    const sent: unknown = ctx.request.body;
    const root = typeof sent === 'object' && sent !== null && 'resourceType' in sent && typeof sent.resourceType === 'string' ? sent.resourceType : undefined;
    const body = operationOutcome(reply.status, reply.body.message, reply.error.details, root === 'Bundle' || root === 'Appointment' ? root : undefined);
    return { status: reply.status, contentType: 'application/fhir+json', headers: reply.headers, body };
  }
  return reply;
}
