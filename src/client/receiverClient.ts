/**
 * A small typed client for integrators, built on openapi-fetch and the types generated from
 * openapi.yaml. It sends an event with the partner key, signs it when a signing secret is given
 * (Standard Webhooks v1), and retries as the documentation says: exponential backoff with
 * jitter, never sooner than Retry-After, the same Idempotency-Key and body on every attempt.
 */
import { createHmac, randomUUID } from 'node:crypto';
import createClient from 'openapi-fetch';
import type { components, paths } from '../../generated/openapi';

export type AppointmentEvent = components['schemas']['AppointmentEvent'];
export type EventAccepted = components['schemas']['EventAccepted'];
export type ErrorResponse = components['schemas']['ErrorResponse'];

export interface ReceiverClientOptions {
  baseUrl: string;
  apiKey: string;
  /** `whsec_…`: sign every request. */
  signingSecret?: string;
  /** Attempts per event before giving up (default 12). */
  maxAttempts?: number;
  /** First backoff step (default 1000 ms); each retry doubles it, up to `maxDelayMs` (default 5 min). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface Delivered {
  event: EventAccepted;
  /** True when the receiver already had this event (an earlier attempt got through). */
  replayed: boolean;
  attempts: number;
}

/** A reply that retrying cannot fix: the request must change. */
export class DeliveryRefused extends Error {
  constructor(
    readonly status: number,
    readonly reply: ErrorResponse | undefined,
  ) {
    super(`the receiver refused the event with ${status}: ${reply?.message ?? 'no body'}`);
  }
}

const RETRYABLE = new Set([408, 409, 429, 500, 502, 503, 504]);

export function createReceiverClient(options: ReceiverClientOptions) {
  const client = createClient<paths>({ baseUrl: options.baseUrl });
  const maxAttempts = options.maxAttempts ?? 12;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 300_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  function signatureHeaders(id: string, body: string) {
    if (!options.signingSecret) return {};
    const timestamp = Math.floor(Date.now() / 1000).toString();
    const key = Buffer.from(options.signingSecret.replace(/^whsec_/, ''), 'base64');
    const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
    return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
  }

  return {
    /** Delivers one event; pass the same key to deliver the same event again later. */
    async sendEvent(event: AppointmentEvent, idempotencyKey: string = `evt_${randomUUID()}`): Promise<Delivered> {
      const body = JSON.stringify(event);
      for (let attempt = 1; ; attempt++) {
        let retryAfterMs = 0;
        try {
          const { data, error, response } = await client.POST('/webhook/appointment', {
            // Signed anew on each attempt: the receiver refuses timestamps older than 5 minutes.
            params: { header: { 'Idempotency-Key': idempotencyKey, ...signatureHeaders(idempotencyKey, body) } },
            headers: { Authorization: `Bearer ${options.apiKey}` },
            body: event,
            bodySerializer: () => body,
          });
          if (data) return { event: data, replayed: response.headers.get('Idempotent-Replayed') === 'true', attempts: attempt };
          if (!RETRYABLE.has(response.status)) throw new DeliveryRefused(response.status, error as ErrorResponse | undefined);
          retryAfterMs = Number(response.headers.get('Retry-After') ?? 0) * 1000;
        } catch (err) {
          if (err instanceof DeliveryRefused) throw err;
          // Network failure or timeout: the outcome is unknown, so the same request goes again.
        }
        if (attempt >= maxAttempts) throw new Error(`gave up after ${attempt} attempts`);
        const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
        await sleep(Math.max(backoff, retryAfterMs));
      }
    },
  };
}
