import { createReceiverClient, DeliveryRefused, type AppointmentEvent } from '../../src/client/receiverClient';

/**
 * Many events delivered at once through the typed client (src/client/receiverClient.ts), the
 * retrying sender the guide tells partners to write: every event has its own Idempotency-Key,
 * anything but a 201 or a plain 4xx is retried with exponential backoff and jitter, waiting at
 * least Retry-After. Bounded in attempts and in time; what happened is counted.
 */
export interface DeliveryStats {
  sent: number;
  acknowledged: number;
  /** Attempts after the first, over all events. */
  retried: number;
  replayed: number;
  gaveUp: number;
  /** appointment_id -> event_id of every 201 seen. */
  acks: Map<string, number>;
  /** Unexpected replies (a 4xx other than those the guide says to retry). */
  unexpected: string[];
}

export interface Delivery {
  key: string;
  body: Record<string, unknown> & { appointment_id: string };
}

export interface Receiver {
  /** Asked before every attempt: a restarted receiver may be elsewhere. */
  baseUrl: () => string;
  apiKey: string;
}

export async function deliverAll(
  receiver: Receiver,
  deliveries: Delivery[],
  options: { concurrency: number; maxAttempts: number; deadline: number; onAck?: (stats: DeliveryStats) => void },
): Promise<DeliveryStats> {
  const stats: DeliveryStats = { sent: deliveries.length, acknowledged: 0, retried: 0, replayed: 0, gaveUp: 0, acks: new Map(), unexpected: [] };
  const client = createReceiverClient({
    baseUrl: receiver.baseUrl,
    apiKey: receiver.apiKey,
    maxAttempts: options.maxAttempts,
    baseDelayMs: 50,
    maxDelayMs: 2000,
    attemptTimeoutMs: 5000,
    onAttempt: ({ attempt }) => {
      if (attempt > 1) stats.retried++;
    },
  });
  const deadline = AbortSignal.timeout(Math.max(0, options.deadline - Date.now()));
  let next = 0;
  const worker = async () => {
    while (next < deliveries.length) {
      const delivery = deliveries[next++]!;
      try {
        const delivered = await client.sendEvent(delivery.body as unknown as AppointmentEvent, delivery.key, { signal: deadline });
        stats.acknowledged++;
        if (delivered.replayed) stats.replayed++;
        stats.acks.set(delivery.body.appointment_id, delivered.event.event_id);
        options.onAck?.(stats);
      } catch (err) {
        if (err instanceof DeliveryRefused) stats.unexpected.push(`${err.status} ${JSON.stringify(err.reply)}`);
        stats.gaveUp++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return stats;
}
