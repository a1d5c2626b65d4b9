import type { Logger } from 'pino';
import { CHUNKS_PER_PASS, type FeedSequencer } from './feedSequencer';

export interface FeedLoop {
  /** Resolves once the pass under way (if any) has ended. */
  stop(): Promise<void>;
}

/**
 * Runs the sequencer in the background: again soon while it finds full chunks (catching up),
 * otherwise every `intervalMs`. Each pass is followed by a rest at least as long, so on a
 * database that scans (the local one) the feed never takes more than half of its time.
 */
export function startFeedLoop(sequencer: FeedSequencer, options: { intervalMs: number; chunkSize: number; log: Logger }): FeedLoop {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let failures = 0;

  const running = (async () => {
    while (!stopped) {
      const started = performance.now();
      let placed = 0;
      try {
        if (await sequencer.lease()) placed = await sequencer.pass();
        failures = 0;
      } catch (err) {
        // The events stay where they are; the next pass places them. Logged once per outage.
        if (failures++ === 0) options.log.warn({ err: { message: (err as Error).message } }, 'feed pass failed; retrying');
      }
      const took = performance.now() - started;
      // A rest at least as long as the round: on a database that scans, at most half its time.
      const wait = placed >= options.chunkSize * CHUNKS_PER_PASS ? took : Math.max(options.intervalMs, took) * Math.min(2 ** failures, 32);
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, wait);
      });
    }
  })();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await running;
    },
  };
}
