import { setTimeout as delay } from 'node:timers/promises';

/**
 * Runs `task` every `intervalMs`, never two at once (a run still going when the next is due skips
 * that turn), on a timer that never holds the process open. The returned stop ends the timer and
 * waits for a run in progress at most `waitMs` (by default not at all).
 */
export function repeatEvery(intervalMs: number, task: () => Promise<unknown>, onError: (err: unknown) => void): (waitMs?: number) => Promise<void> {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= task()
      .then(() => undefined, onError)
      .finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  return async (waitMs = 0) => {
    clearInterval(timer);
    if (running && waitMs > 0) await Promise.race([running, delay(waitMs, undefined, { ref: false })]);
  };
}
