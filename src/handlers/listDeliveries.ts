import type { Handler } from '../http/context';
import type { DeliveryReads } from '../store/deliveryReads';
import { deliveryPage } from './deliveryQuery';
import { partnerOf } from './partnerScope';

export interface DeliveryDeps {
  deliveries: DeliveryReads;
}

/** GET /webhook/deliveries: the calling partner's own delivery records, newest first (never another's). */
export function listDeliveries({ deliveries }: DeliveryDeps): Handler<'listDeliveries'> {
  return (ctx) => deliveryPage(ctx, deliveries, partnerOf(ctx).name);
}
