import { AppError } from '../errors';
import type { Handler } from '../http/context';
import { messageIdempotency, unquote } from '../idempotency';
import { hl7Ack, readHl7Header } from '../inputs/hl7Ack';
import { readHl7Message } from '../inputs/hl7v2';
import { DEFAULT_HL7_PATIENT_ID_TYPE } from '../store/partnerInputs';
import { noteOutcome, refuseIfAny, refuseLongIds, saveAll, type MessageDeps } from './messageEvents';
import { partnerOf } from './partnerScope';

/**
 * Stores the appointment event of one HL7 v2 SIU message and acknowledges it (AA, 201) once the
 * database has; a resent message (same MSH-10 and content) gets its event's acknowledgement again.
 */
export function receiveHl7v2Message(deps: MessageDeps): Handler<'receiveHl7v2Message'> {
  return async (ctx, text) => {
    const partner = partnerOf(ctx);
    const header = readHl7Header(text);
    // A training or debugging message must not become a real patient's appointment.
    if (partner.mode === 'live' && header?.processingId !== undefined && header.processingId !== '' && header.processingId !== 'P') {
      throw new AppError('invalid_payload', [{ loc: ['body', 'MSH', 11], msg: 'MSH-11 must be P (production) with a live key; send T and D messages with a test key', type: 'value_error.hl7.processing_id' }]);
    }
    const input = readHl7Message(text, { patientIdType: partner.inputs.hl7PatientIdType ?? DEFAULT_HL7_PATIENT_ID_TYPE });
    refuseIfAny(deps.checkEvent([input]));
    const controlId = input.controlId ?? '';
    // MSH-10 is unique per sending application and facility (MSH-3, MSH-4), not per partner.
    const messageKey = `hl7v2|${header?.sendingApplication[0] ?? ''}|${header?.sendingFacility[0] ?? ''}|${controlId}`;
    const item = { event: input.event, idempotency: messageIdempotency(partner.name, input.event, messageKey), source: { format: 'hl7v2', control_id: controlId }, keyLoc: ['body', 'MSH', 10] } as const;
    refuseLongIds([item]);
    const key = ctx.req.get('idempotency-key');
    if (key !== undefined && unquote(key) !== controlId) {
      throw new AppError('invalid_payload', [
        { loc: ['header', 'idempotency-key'], msg: 'MSH-10 is the idempotency key of a message: send no Idempotency-Key, or the same value', type: 'value_error.idempotency_key.mismatch' },
      ]);
    }
    const [saved] = await saveAll(ctx.budget, deps, partner, [item]);
    const { accepted, replayed } = saved!;
    noteOutcome(ctx, [saved!], 'message');
    const ack = hl7Ack({ received: header, ackCode: 'AA', controlId: ctx.requestId, now: deps.now(), errors: [], text: `event ${accepted.event_id} stored` });
    return { status: 201, contentType: 'application/hl7-v2', body: ack, headers: replayed ? { 'Idempotent-Replayed': 'true' } : {} };
  };
}
