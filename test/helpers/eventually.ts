import { sleep } from './time';

/** Retries `check` until it passes or `ms` have passed (then its last failure is thrown). */
export async function eventually(check: () => Promise<void>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(150);
    }
  }
}
