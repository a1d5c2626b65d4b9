import { sleep } from './time';

/**
 * A partner's sender as the guide tells partners to write it: every event has its own
 * Idempotency-Key, and anything but a 201 or a plain 4xx is retried with exponential backoff
 * and jitter, waiting at least Retry-After. Bounded in attempts and in time.
 */
export interface DeliveryStats {
  sent: number;
  acknowledged: number;
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

export async function deliverAll(
  url: () => string,
  headers: Record<string, string>,
  deliveries: Delivery[],
  options: { concurrency: number; maxAttempts: number; deadline: number; onAck?: (stats: DeliveryStats) => void },
): Promise<DeliveryStats> {
  const stats: DeliveryStats = { sent: deliveries.length, acknowledged: 0, retried: 0, replayed: 0, gaveUp: 0, acks: new Map(), unexpected: [] };
  let next = 0;
  const worker = async () => {
    while (next < deliveries.length) {
      const delivery = deliveries[next++]!;
      let acked = false;
      for (let attempt = 0; attempt < options.maxAttempts && !acked && Date.now() < options.deadline; attempt++) {
        if (attempt > 0) stats.retried++;
        let retryAfterMs = 0;
        try {
          const res = await fetch(url(), {
            method: 'POST',
            headers: { ...headers, 'Content-Type': 'application/json', 'Idempotency-Key': delivery.key },
            body: JSON.stringify(delivery.body),
            signal: AbortSignal.timeout(5000),
          });
          const reply = (await res.json()) as { event_id?: number };
          if (res.status === 201) {
            acked = true;
            stats.acknowledged++;
            if (res.headers.get('idempotent-replayed') === 'true') stats.replayed++;
            stats.acks.set(delivery.body.appointment_id, reply.event_id!);
            options.onAck?.(stats);
            break;
          }
          if (res.status < 500 && ![408, 409, 429].includes(res.status)) {
            stats.unexpected.push(`${res.status} ${JSON.stringify(reply)}`);
            break;
          }
          retryAfterMs = Number(res.headers.get('retry-after') ?? 0) * 1000;
        } catch {
          // Refused, reset or timed out: the outcome is unknown, so the same request goes again.
        }
        const backoff = Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2);
        await sleep(Math.max(backoff, retryAfterMs));
      }
      if (!acked) stats.gaveUp++;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return stats;
}
