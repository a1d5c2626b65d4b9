import type { Handler } from '../http/context';
import { explicitKeyDigest } from '../idempotency';
import { ownEvent, type PartnerEventDeps } from './getPartnerEvent';
import { partnerOf } from './partnerScope';
import { single } from './readScope';

/** GET /webhook/events?idempotency_key=: the event stored under the key the partner sent (Idempotency-Key or webhook-id). */
export function findPartnerEvent({ partnerEvents }: PartnerEventDeps): Handler<'findPartnerEvent'> {
  return (ctx) => {
    // Required by the spec, so validation let exactly one through.
    const key = single(ctx.query.idempotency_key) ?? '';
    return ownEvent(ctx, partnerEvents, { keyDigest: explicitKeyDigest(partnerOf(ctx).name, key) }, ['query', 'idempotency_key']);
  };
}
