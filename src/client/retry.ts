/** What one attempt came to. */
export type Attempt<T> =
  /** An answer to hand back. */
  | { status: number; answer: T }
  /** A refusal that asking again cannot change: thrown at once. */
  | { status: number; refused: Error }
  /** Worth another attempt, not sooner than `retryAfterMs` (0 when the answer named no wait). */
  | { status: number; retryAfterMs: number };

export interface RetryOptions {
  maxAttempts: number;
  /** First backoff step; each retry doubles it, up to `maxDelayMs`, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Stops the attempt in flight (the attempt is given it) and any wait; the call then rejects with its reason. */
  signal?: AbortSignal;
  /** Told of every attempt as it ends: its number, its status (none when it got no answer), and the wait before the next. */
  report?: (attempt: number, status?: number, retryInMs?: number) => void;
  /** The error thrown once `maxAttempts` went unanswered or worth retrying. */
  gaveUp: (attempts: number, lastStatus?: number) => Error;
  /** The wait between attempts (tests replace it); by default one the signal cuts short. */
  pause?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

/**
 * Makes attempts until one answers, as both clients promise: exponential backoff with jitter,
 * never sooner than Retry-After, at most `maxAttempts`. An attempt that throws (a network
 * failure, a timeout) is retried too: its outcome is unknown, and the same request is safe to
 * send again (reads, and deliveries under one idempotency key).
 */
export async function withRetries<T>(attempt: (n: number) => Promise<Attempt<T>>, options: RetryOptions): Promise<T> {
  const { signal } = options;
  const pauseFor = options.pause ?? pause;
  for (let n = 1; ; n++) {
    signal?.throwIfAborted();
    let outcome: Attempt<T> | undefined;
    try {
      outcome = await attempt(n);
    } catch {
      // No answer (a network failure, a timeout): tried again below, unless the caller stopped.
      if (signal?.aborted) {
        options.report?.(n);
        throw signal.reason;
      }
    }
    const status = outcome?.status;
    if (outcome && 'answer' in outcome) {
      options.report?.(n, status);
      return outcome.answer;
    }
    if (outcome && 'refused' in outcome) {
      options.report?.(n, status);
      throw outcome.refused;
    }
    const waitAtLeast = outcome?.retryAfterMs ?? 0;
    if (n >= options.maxAttempts) {
      options.report?.(n, status);
      throw options.gaveUp(n, status);
    }
    const backoff = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (n - 1)) * (0.5 + Math.random() / 2);
    const wait = Math.max(backoff, waitAtLeast);
    options.report?.(n, status, wait);
    await pauseFor(wait, signal);
  }
}

/** Retry-After in milliseconds: delay-seconds or an HTTP date; 0 when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number {
  if (header === null || header.trim() === '') return 0;
  if (/^\s*\d+\s*$/.test(header)) return Number(header) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? 0 : Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
