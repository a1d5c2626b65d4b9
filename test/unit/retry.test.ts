import { retryAfterMs, withRetries, type Attempt } from '../../src/client/retry';

/** Runs withRetries over scripted outcomes (a thrown Error stands for no answer), recording reports and waits. */
async function run(script: Array<Attempt<string> | Error>, extra: { maxAttempts?: number; signal?: AbortSignal } = {}) {
  const reports: Array<[number, number | undefined, number | undefined]> = [];
  const waits: number[] = [];
  let calls = 0;
  const result = withRetries(
    async () => {
      const next = script[calls++]!;
      if (next instanceof Error) throw next;
      return next;
    },
    {
      maxAttempts: extra.maxAttempts ?? 5,
      baseDelayMs: 100,
      maxDelayMs: 1000,
      signal: extra.signal,
      report: (attempt, status, wait) => reports.push([attempt, status, wait]),
      gaveUp: (attempts, status) => new Error(`gave up after ${attempts} (${status})`),
      pause: async (ms) => void waits.push(ms),
    },
  );
  return { result: await result.then((answer) => ({ answer }), (err: Error) => ({ error: err.message })), reports, waits, calls: () => calls };
}

describe('withRetries', () => {
  test('when attempts fail, then it retries with backoff, never sooner than Retry-After, until an answer', async () => {
    const { result, reports, waits } = await run([new Error('reset'), { status: 503, retryAfterMs: 5000 }, { status: 201, answer: 'stored' }]);
    expect(result).toEqual({ answer: 'stored' });
    expect(waits[0]).toBeGreaterThanOrEqual(50);
    expect(waits[0]).toBeLessThanOrEqual(100);
    expect(waits[1]).toBe(5000);
    expect(reports.map(([attempt, status]) => [attempt, status])).toEqual([[1, undefined], [2, 503], [3, 201]]);
  });

  test('when an answer is a refusal, then it is thrown at once, without another attempt', async () => {
    const { result, calls } = await run([{ status: 401, refused: new Error('refused 401') }, { status: 201, answer: 'never' }]);
    expect(result).toEqual({ error: 'refused 401' });
    expect(calls()).toBe(1);
  });

  test('when every attempt is worth retrying, then it gives up after maxAttempts with the last status', async () => {
    const { result, waits } = await run(Array.from({ length: 3 }, () => ({ status: 429, retryAfterMs: 0 })), { maxAttempts: 3 });
    expect(result).toEqual({ error: 'gave up after 3 (429)' });
    expect(waits).toHaveLength(2);
    // Backoff doubles (with jitter between half and all of the step).
    expect(waits[1]).toBeGreaterThanOrEqual(100);
  });

  test("when the caller's signal is aborted, then no attempt is made and the reason is thrown", async () => {
    const stop = new AbortController();
    stop.abort(new Error('stopped'));
    const { result, calls } = await run([{ status: 201, answer: 'x' }], { signal: stop.signal });
    expect(result).toEqual({ error: 'stopped' });
    expect(calls()).toBe(0);
  });

  test('when Retry-After is seconds, a date or unreadable, then it reads as milliseconds to wait, or 0', () => {
    const now = Date.parse('2026-11-29T12:00:00Z');
    expect(retryAfterMs('5', now)).toBe(5000);
    expect(retryAfterMs('Sun, 29 Nov 2026 12:00:03 GMT', now)).toBe(3000);
    expect([retryAfterMs(null, now), retryAfterMs('soon', now), retryAfterMs('Sun, 29 Nov 2026 11:00:00 GMT', now)]).toEqual([0, 0, 0]);
  });
});
