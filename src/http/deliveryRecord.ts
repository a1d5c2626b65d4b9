import type { Delivery, DeliveryDocument } from '../store/deliveryDocument';
import type { DeliveryLog } from '../store/deliveryLog';
import type { Metrics } from '../metrics';
import type { RequestContext } from './context';
import type { OperationId } from './reply';

/** The operations that receive events: each request to one of them leaves a delivery record. */
const RECEIVING: ReadonlySet<OperationId> = new Set<Delivery['operation']>(['receiveAppointmentEvent']);
const isReceiving = (id: OperationId | undefined): id is Delivery['operation'] => id !== undefined && RECEIVING.has(id);

function outcomeOf(status: number, replayed: boolean): 'accepted' | 'replayed' | 'refused' | 'rate_limited' | 'failed' {
  if (status >= 500) return 'failed';
  if (status === 429) return 'rate_limited';
  if (status >= 400) return 'refused';
  return replayed ? 'replayed' : 'accepted';
}

/**
 * What the delivery log keeps of a request to a receiving operation: names the service or the
 * spec gave and error locations, never a value the client sent (no body, identifier or key).
 * The client's address is kept only when no key named a partner: it is then all there is to go on.
 */
export function deliveryOf(ctx: RequestContext, status: number, latencyMs: number): Omit<DeliveryDocument, '_id'> | undefined {
  const { operationId, partner, mode, error, idempotency, eventId, replayed } = ctx.outcome;
  if (!isReceiving(operationId)) return undefined;
  return {
    request_id: ctx.requestId,
    received_at: ctx.receivedAt,
    operation: operationId,
    partner: partner ?? null,
    mode: partner ? (mode ?? 'live') : null,
    client_address: partner ? null : ctx.address.slice(0, 64),
    status,
    errors: error ? error.body.errors.map((e) => ({ loc: [...e.loc], type: e.type })) : [],
    idempotency: idempotency ?? null,
    event_id: eventId ?? null,
    replayed: replayed === true,
    latency_ms: Math.round(latencyMs * 1000) / 1000,
  };
}

/** Counts the delivery and hands it to the log's writer (a push into memory: nothing waits here). */
export function recordDelivery(ctx: RequestContext, status: number, latencyMs: number, metrics: Metrics, log: Pick<DeliveryLog, 'record'> | undefined): void {
  const delivery = deliveryOf(ctx, status, latencyMs);
  if (!delivery) return;
  metrics.deliveries.inc({ partner: delivery.partner ?? 'unauthenticated', mode: delivery.mode ?? 'none', outcome: outcomeOf(status, delivery.replayed) });
  log?.record(delivery);
}
