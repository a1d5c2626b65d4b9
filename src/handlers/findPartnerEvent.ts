import type { Handler } from '../http/context';
import { explicitKeyDigest, messageKeyDigest, unquote } from '../idempotency';
import { ownEvent, type PartnerEventDeps } from './getPartnerEvent';
import { partnerOf } from './partnerScope';
import { single } from './readScope';

/** GET /webhook/events?idempotency_key=: the event stored under the key the partner sent (Idempotency-Key or webhook-id). */
export function findPartnerEvent({ partnerEvents }: PartnerEventDeps): Handler<'findPartnerEvent'> {
  return (ctx) => {
    // Required by the spec, so validation let exactly one through.
    const key = single(ctx.query.idempotency_key) ?? '';
    const partner = partnerOf(ctx).name;
    // A webhook-id is kept as sent; a quoted Idempotency-Key ("abc") without its quotes: both are
    // tried, and the key of an HL7 v2 or FHIR message (hl7v2|…, fhir|…) in its own namespace.
    const keys = [...new Set([key, unquote(key)])];
    const digests = [...keys.map((k) => explicitKeyDigest(partner, k)), ...(/^(hl7v2|fhir)\|/.test(key) ? [messageKeyDigest(partner, key)] : [])];
    return ownEvent(ctx, partnerEvents, { keyDigests: digests }, ['query', 'idempotency_key']);
  };
}
