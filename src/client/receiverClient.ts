/**
 * A small typed client for integrators, built on openapi-fetch and the types generated from
 * openapi.yaml. It sends an event with the partner key, signs it when a signing secret is given
 * (Standard Webhooks v1), and retries as the documentation says: exponential backoff with
 * jitter, never sooner than Retry-After, the same Idempotency-Key and body on every attempt.
 * Retrying is bounded by `maxAttempts`, and by the caller's AbortSignal when one is given.
 */
import { createHmac, randomUUID } from 'node:crypto';
import createClient from 'openapi-fetch';
import type { components, paths } from '../../generated/openapi';
import { retryAfterMs, withRetries } from './retry';

export type AppointmentEvent = components['schemas']['AppointmentEvent'];
export type EventAccepted = components['schemas']['EventAccepted'];
export type ErrorResponse = components['schemas']['ErrorResponse'];

export interface ReceiverClientOptions {
  /** The receiver's address; a function is asked again before every attempt (for an address that can change). */
  baseUrl: string | (() => string);
  apiKey: string;
  /** `whsec_…`: sign every request. */
  signingSecret?: string;
  /** Attempts per event before giving up (default 12). */
  maxAttempts?: number;
  /** First backoff step (default 1000 ms); each retry doubles it, up to `maxDelayMs` (default 5 min). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Abandon an attempt that has no answer after this long, and retry it (default: wait as long as fetch does). */
  attemptTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Told of every attempt as it ends, for logs and metrics. */
  onAttempt?: (outcome: AttemptOutcome) => void;
}

export interface AttemptOutcome {
  idempotencyKey: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** The receiver's status; undefined when no answer came (network failure or timeout). */
  status?: number;
  /** The wait before the next attempt; undefined when there is none (delivered, refused, or given up). */
  retryInMs?: number;
}

export interface SendOptions {
  /** Stops retrying (and the attempt in flight) when aborted; sendEvent then rejects with the signal's reason. */
  signal?: AbortSignal;
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

/** Every attempt went unanswered or got an answer worth retrying, up to `maxAttempts`. */
export class DeliveryGaveUp extends Error {
  constructor(
    readonly attempts: number,
    /** The last answer's status; undefined when the last attempt got none. */
    readonly lastStatus: number | undefined,
  ) {
    super(`gave up after ${attempts} attempts`);
  }
}

/** Statuses worth sending the same request again for: the guide's retryable ones, and gateway failures in front of it. */
export const RETRYABLE = new Set([408, 409, 429, 500, 502, 503, 504]);

export function createReceiverClient(options: ReceiverClientOptions) {
  const address = options.baseUrl;
  const baseUrl = typeof address === 'function' ? address : () => address;
  // The address is given with each request, so a function is asked only when an attempt is made.
  const client = createClient<paths>();
  const maxAttempts = options.maxAttempts ?? 12;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 300_000;
  const sleep = options.sleep;

  function signatureHeaders(id: string, body: string) {
    if (!options.signingSecret) return {};
    const timestamp = Math.floor(Date.now() / 1000).toString();
    const key = Buffer.from(options.signingSecret.replace(/^whsec_/, ''), 'base64');
    const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
    return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
  }

  function attemptSignal(caller: AbortSignal | undefined): AbortSignal | undefined {
    const signals = [caller, options.attemptTimeoutMs === undefined ? undefined : AbortSignal.timeout(options.attemptTimeoutMs)];
    const given = signals.filter((signal) => signal !== undefined);
    return given.length > 1 ? AbortSignal.any(given) : given[0];
  }

  return {
    /**
     * Delivers one event; pass the same key to deliver the same event again later. Rejects with
     * DeliveryRefused when the receiver refuses it (the request must change), with DeliveryGaveUp
     * after `maxAttempts`, and with the signal's reason when `signal` is aborted.
     */
    async sendEvent(event: AppointmentEvent, idempotencyKey: string = `evt_${randomUUID()}`, { signal }: SendOptions = {}): Promise<Delivered> {
      const body = JSON.stringify(event);
      return withRetries<Delivered>(
        async (attempt) => {
          const { data, error, response } = await client.POST('/webhook/appointment', {
            baseUrl: baseUrl(),
            // Signed anew on each attempt: the receiver refuses timestamps older than 5 minutes.
            params: { header: { 'Idempotency-Key': idempotencyKey, ...signatureHeaders(idempotencyKey, body) } },
            headers: { Authorization: `Bearer ${options.apiKey}` },
            body: event,
            bodySerializer: () => body,
            signal: attemptSignal(signal),
          });
          const status = response.status;
          if (data) return { status, answer: { event: data, replayed: response.headers.get('Idempotent-Replayed') === 'true', attempts: attempt } };
          if (!RETRYABLE.has(status)) return { status, refused: new DeliveryRefused(status, error as ErrorResponse | undefined) };
          return { status, retryAfterMs: retryAfterMs(response.headers.get('Retry-After')) };
        },
        {
          maxAttempts,
          baseDelayMs,
          maxDelayMs,
          signal,
          report: (attempt, status, retryInMs) => options.onAttempt?.({ idempotencyKey, attempt, status, retryInMs }),
          gaveUp: (attempts, status) => new DeliveryGaveUp(attempts, status),
          // By default a wait the signal cuts short; a test may put its own in.
          ...(sleep ? { pause: (ms: number) => sleep(ms) } : {}),
        },
      );
    },
  };
}
