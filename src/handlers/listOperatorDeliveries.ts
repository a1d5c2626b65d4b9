import type { Handler } from '../http/context';
import { deliveryPage } from './deliveryQuery';
import type { DeliveryDeps } from './listDeliveries';
import { single } from './readScope';

/** GET /operator/deliveries: every partner's delivery records, or one partner's. */
export function listOperatorDeliveries({ deliveries }: DeliveryDeps): Handler<'listOperatorDeliveries'> {
  return (ctx) => deliveryPage(ctx, deliveries, single(ctx.query.partner));
}
