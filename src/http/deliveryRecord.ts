import type { Delivery, DeliveryRecord } from '../store/deliveryDocument';
import type { DeliveryLog } from '../store/deliveryLog';
import { deliveryOutcome } from '../store/deliveryStats';
import { TokenBuckets, type Policy } from '../limits/tokenBuckets';
import type { Metrics } from '../metrics';
import type { RequestContext } from './context';
import type { OperationId } from './reply';

/** The operations that receive events: each request to one of them leaves a delivery record. */
const RECEIVING: ReadonlySet<OperationId> = new Set<Delivery['operation']>(['receiveAppointmentEvent', 'receiveHl7v2Message', 'receiveFhirAppointment']);

/** The format each receiving operation takes, for the metric. */
const FORMAT: Record<Delivery['operation'], string> = { receiveAppointmentEvent: 'json', receiveHl7v2Message: 'hl7v2', receiveFhirAppointment: 'fhir' };
const isReceiving = (id: OperationId | undefined): id is Delivery['operation'] => id !== undefined && RECEIVING.has(id);

/**
 * Records of requests whose key named no partner are kept within these budgets (per address,
 * and all addresses together); past them they are only counted. Anyone can send such requests,
 * so they must not be able to fill the log, or its writes compete with events'.
 */
const UNNAMED_PER_ADDRESS: Policy = { name: 'unnamed_address', ratePerSecond: 1, burst: 10 };
const UNNAMED_IN_ALL: Policy = { name: 'unnamed', ratePerSecond: 20, burst: 200 };

/**
 * The metric's outcome: the counts' own, with the 429s of the partner's allowance told apart as
 * `rate_limited` (a 429 for failed authentications stays a refusal, like the 401 before it).
 */
function outcomeOf(delivery: Pick<Delivery, 'status' | 'replayed'>, policy: unknown) {
  return delivery.status === 429 && policy === 'partner' ? 'rate_limited' : deliveryOutcome(delivery);
}

/**
 * What the delivery log keeps of a request to a receiving operation: names the service or the
 * spec gave and error locations, never a value the client sent (no body, identifier or key).
 * The client's address is kept only when no key named a partner: it is then all there is to go on.
 */
export function deliveryOf(ctx: RequestContext, status: number, latencyMs: number): DeliveryRecord | undefined {
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

/** Counts each delivery and hands it to the log's writer (a push into memory: nothing waits here). */
export function deliveryRecorder(metrics: Metrics, log: Pick<DeliveryLog, 'record' | 'countOnly'> | undefined) {
  const unnamed = new TokenBuckets(10_000);
  return (ctx: RequestContext, status: number, latencyMs: number): void => {
    const delivery = deliveryOf(ctx, status, latencyMs);
    if (!delivery) return;
    const policy = ctx.outcome.error?.body.errors[0]?.ctx?.policy;
    metrics.deliveries.inc({ partner: delivery.partner ?? 'unauthenticated', mode: delivery.mode ?? 'none', format: FORMAT[delivery.operation], outcome: outcomeOf(delivery, policy) });
    if (!log) return;
    const keep = delivery.partner !== null || (unnamed.take(delivery.client_address ?? '', UNNAMED_PER_ADDRESS).allowed && unnamed.take('*', UNNAMED_IN_ALL).allowed);
    if (keep) log.record(delivery);
    else log.countOnly(delivery);
  };
}
