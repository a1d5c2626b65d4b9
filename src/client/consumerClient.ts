// Over 200 lines: one client for the read routes and the feed, around one retrying read; split, the parts would only make sense together.
/**
 * The reading side of the typed client, for the receiving side's own systems: a consumer token
 * (`apptrd_…`), the read routes, and the feed as an async iterator that hands over a checkpoint
 * after each page. Built like receiverClient.ts, on openapi-fetch and the generated types, and
 * standalone like it. Reads are safe to repeat, so an answer of 429, 500, 502, 503 or 504, a
 * network failure and an attempt that outlasts `attemptTimeoutMs` are retried with exponential
 * backoff and jitter, never sooner than Retry-After, up to `maxAttempts`; any other refusal
 * throws ReadRefused at once. The caller's AbortSignal stops the attempt in flight and any wait.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from '../../generated/openapi';
import { pause, retryAfterMs, withRetries } from './retry';

export type StoredEvent = components['schemas']['StoredEvent'];
export type EventPage = components['schemas']['EventPage'];
export type FeedEvent = components['schemas']['FeedEvent'];
export type FeedPage = components['schemas']['FeedPage'];
export type AppointmentState = components['schemas']['AppointmentState'];
export type ErrorResponse = components['schemas']['ErrorResponse'];
/** The filters, order, `limit` and `cursor` of GET /events. */
export type EventQuery = NonNullable<paths['/events']['get']['parameters']['query']>;

export interface ConsumerClientOptions {
  /** The receiver's address; a function is asked again before every attempt. */
  baseUrl: string | (() => string);
  /** The consumer token, `apptrd_…` (`npm run consumers -- add <name>`). */
  token: string;
  /** Attempts per request before giving up (default 8). */
  maxAttempts?: number;
  /** First backoff step (default 500 ms); each retry doubles it, up to `maxDelayMs` (default 30 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Abandon an attempt that has no answer after this long, and retry it (default 30 s). */
  attemptTimeoutMs?: number;
  /** The fetch to use (default: the global one), for a proxy agent or instrumentation. */
  fetch?: typeof globalThis.fetch;
  /** Told of every attempt as it ends, for logs and metrics. */
  onAttempt?: (outcome: ReadAttempt) => void;
}

export interface ReadAttempt {
  /** The route asked, e.g. `GET /feed`. */
  route: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** The receiver's status; undefined when no answer came (network failure or timeout). */
  status?: number;
  /** The wait before the next attempt; undefined when there is none (answered, refused, or given up). */
  retryInMs?: number;
}

export interface ReadOptions {
  /** Stops the attempt in flight and any wait; the call then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface FeedOptions extends ReadOptions {
  /** Resume after this cursor (a `next_cursor` given to `onCheckpoint`); absent, the feed starts at its beginning. */
  after?: string;
  /** Events per page (1–500; the receiver's default is 100). */
  limit?: number;
  /** Keep reading once caught up, every `pollMs`, until `signal` aborts (default false: end once caught up). */
  follow?: boolean;
  /** The wait after a page that says the feed is caught up (default 1000 ms). */
  pollMs?: number;
  /**
   * Awaited after every event of a page has been taken from the iterator, with the cursor to
   * resume from; not called when a page leaves the cursor where it was. Persist it here: an
   * error thrown here ends the iteration with that error.
   */
  onCheckpoint?: (cursor: string) => void | Promise<void>;
}

/** An answer that retrying cannot change: the request must change. */
export class ReadRefused extends Error {
  constructor(
    readonly status: number,
    /** The receiver's error envelope; undefined when the answer had none. */
    readonly reply: ErrorResponse | undefined,
  ) {
    super(`the receiver refused the read with ${status}: ${reply?.message ?? 'no body'}`);
  }
}

/** Every attempt went unanswered or got an answer worth retrying, up to `maxAttempts`. */
export class ReadGaveUp extends Error {
  constructor(
    readonly attempts: number,
    /** The last answer's status; undefined when the last attempt got none. */
    readonly lastStatus: number | undefined,
  ) {
    super(`gave up after ${attempts} attempts${lastStatus === undefined ? ' (no answer)' : ` (last answer ${lastStatus})`}`);
  }
}

/** Statuses worth asking again for: rate limiting, and failures on the receiver's side or in front of it. */
export const RETRYABLE_READS = new Set([429, 500, 502, 503, 504]);

/**
 * What openapi-fetch answers. Its `data` is typed through a mapping that turns the generated
 * readonly arrays into index signatures, so each read names the schema type it returns instead.
 */
interface Answer {
  data?: unknown;
  error?: unknown;
  response: Response;
}

export function createConsumerClient(options: ConsumerClientOptions) {
  const address = options.baseUrl;
  const baseUrl = typeof address === 'function' ? address : () => address;
  const client = createClient<paths>(options.fetch ? { fetch: options.fetch } : {});
  const headers = { Authorization: `Bearer ${options.token}` };
  const maxAttempts = options.maxAttempts ?? 8;
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 30_000;

  /** One read, retried as the module comment says; `ask` makes one attempt. */
  function read<T>(route: string, ask: (base: string, signal: AbortSignal) => Promise<Answer>, signal?: AbortSignal): Promise<T> {
    return withRetries<T>(
      async () => {
        const timeout = AbortSignal.timeout(attemptTimeoutMs);
        const { data, error, response } = await ask(baseUrl(), signal ? AbortSignal.any([signal, timeout]) : timeout);
        const status = response.status;
        if (response.ok && data !== undefined) return { status, answer: data as T };
        if (!RETRYABLE_READS.has(status)) return { status, refused: new ReadRefused(status, error as ErrorResponse | undefined) };
        return { status, retryAfterMs: retryAfterMs(response.headers.get('Retry-After')) };
      },
      {
        maxAttempts,
        baseDelayMs,
        maxDelayMs,
        signal,
        report: (attempt, status, retryInMs) => options.onAttempt?.({ route, attempt, status, retryInMs }),
        gaveUp: (attempts, status) => new ReadGaveUp(attempts, status),
      },
    );
  }

  const api = {
    /** One page of stored events matching `query`; pass its `next_cursor` as `cursor` (same filters) for the next. */
    listEvents(query: EventQuery = {}, { signal }: ReadOptions = {}): Promise<EventPage> {
      return read<EventPage>('GET /events', (base, attemptSignal) => client.GET('/events', { baseUrl: base, headers, params: { query }, signal: attemptSignal }), signal);
    },

    /** One stored event; ReadRefused with 404 when there is none. */
    getEvent(eventId: number, { signal }: ReadOptions = {}): Promise<StoredEvent> {
      return read<StoredEvent>(
        'GET /events/{event_id}',
        (base, attemptSignal) => client.GET('/events/{event_id}', { baseUrl: base, headers, params: { path: { event_id: eventId } }, signal: attemptSignal }),
        signal,
      );
    },

    /** An appointment's state, worked out from all its events; ReadRefused with 404 when it has none, 403 outside the token's partners. */
    getAppointment(partner: string, appointmentId: string, { signal }: ReadOptions = {}): Promise<AppointmentState> {
      return read<AppointmentState>(
        'GET /appointments/{partner}/{appointment_id}',
        (base, attemptSignal) =>
          client.GET('/appointments/{partner}/{appointment_id}', {
            baseUrl: base,
            headers,
            params: { path: { partner, appointment_id: appointmentId } },
            signal: attemptSignal,
          }),
        signal,
      );
    },

    /** One page of the feed, as the receiver answers it; `feed()` is what most readers want. */
    feedPage(query: { after?: string; limit?: number } = {}, { signal }: ReadOptions = {}): Promise<FeedPage> {
      return read<FeedPage>('GET /feed', (base, attemptSignal) => client.GET('/feed', { baseUrl: base, headers, params: { query }, signal: attemptSignal }), signal);
    },

    /**
     * Every event of the feed after `after`, each once and in feed order. After the last event of
     * a page is taken, `onCheckpoint(next_cursor)` is awaited before the next page is asked for:
     * resuming from that cursor gives exactly the events after that page. A page left half-way
     * (a `break`) is not checkpointed, so resuming gives it again from its start.
     * When `signal` aborts, the iteration ends without an error: at once while asking or waiting
     * (a page still being fetched is dropped), or, while a page is being taken, after that page
     * and its checkpoint. Refusals (ReadRefused) and exhausted retries (ReadGaveUp) end it with
     * that error.
     */
    async *feed(feedOptions: FeedOptions = {}): AsyncGenerator<FeedEvent, void, undefined> {
      const { limit, follow = false, pollMs = 1000, signal, onCheckpoint } = feedOptions;
      let after = feedOptions.after;
      while (!signal?.aborted) {
        let page: FeedPage;
        try {
          page = await api.feedPage({ ...(after === undefined ? {} : { after }), ...(limit === undefined ? {} : { limit }) }, { signal });
        } catch (err) {
          if (signal?.aborted) return;
          throw err;
        }
        for (const event of page.data) yield event;
        if (page.next_cursor !== after) {
          after = page.next_cursor;
          await onCheckpoint?.(after);
        }
        if (page.has_more) continue;
        if (!follow) return;
        try {
          await pause(pollMs, signal);
        } catch {
          return;
        }
      }
    },
  };
  return api;
}

export type ConsumerClient = ReturnType<typeof createConsumerClient>;
