import type { Logger } from 'pino';
import { ERROR_CODES } from '../errorCatalogue';
import { isAppError } from '../errors';
import { describe } from '../http/requestLog';
import { WaitBudget } from '../store/waitBudget';
import { storeFhirEvents } from './fhirEvents';
import type { StoringDeps } from './messageEvents';

/** Records completed at most in one sweep: a backlog after an outage goes a sweep at a time. */
const PER_SWEEP = 50;

export interface RecoveryOptions {
  /** A record younger than this may still belong to a request in flight, and is left to it. */
  afterMs: number;
  /** How long each database call may take. */
  timeoutMs: number;
  log: Logger;
  /** Told of each record's outcome (the metrics count them). */
  onOutcome?: (outcome: RecoveryOutcome) => void;
}

/**
 * completed: every event is stored now (the ones stored before come back as replays);
 * refused: one can never be (its key now names other content), so the record is dropped;
 * failed: the database did not answer; the record stays for the next sweep.
 */
export type RecoveryOutcome = 'completed' | 'refused' | 'failed';

/**
 * Completes the notifications whose write was cut short (a write-ahead record outlived its
 * request: see pendingNotifications.ts), exactly as the sender's resend would: same keys, same
 * checks, same decisions. Any instance may run it at any time; storing is idempotent, so two
 * instances completing one record, or a resend arriving meanwhile, still store each event once.
 * Nothing of the events reaches the log: only counts, ages and the error's code.
 */
export async function recoverNotifications(deps: StoringDeps, options: RecoveryOptions): Promise<Record<RecoveryOutcome, number>> {
  const counts: Record<RecoveryOutcome, number> = { completed: 0, refused: 0, failed: 0 };
  const due = await deps.pending.due(new Date(deps.now().getTime() - options.afterMs), PER_SWEEP, options.timeoutMs);
  for (const record of due) {
    let outcome: RecoveryOutcome;
    try {
      await storeFhirEvents(deps, new WaitBudget(options.timeoutMs), { name: record.partner, mode: record.mode }, record.entries, { recorded: record.id });
      outcome = 'completed';
    } catch (err) {
      if (isAppError(err) && ERROR_CODES[err.code].retry === 'no') {
        outcome = 'refused';
        options.log.error({ code: err.code, events: record.entries.length }, 'a notification cut short cannot be completed: an event of it is refused now; the events stored of it stay');
        await deps.pending.settle(record.id, options.timeoutMs).catch(() => undefined);
      } else {
        outcome = 'failed';
        options.log.warn({ cause: describe(err), events: record.entries.length }, 'a notification cut short could not be completed yet; it is tried again');
      }
    }
    counts[outcome] += 1;
    options.onOutcome?.(outcome);
    if (outcome === 'completed') options.log.info({ events: record.entries.length, ageSeconds: Math.round((deps.now().getTime() - record.at.getTime()) / 1000) }, 'a notification cut short was completed');
  }
  return counts;
}

/** Runs recoverNotifications every `everyMs` (a sweep still running skips a turn) until the returned stop is awaited. */
export function keepRecovering(deps: StoringDeps, options: RecoveryOptions & { everyMs: number }): () => Promise<void> {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= recoverNotifications(deps, options)
      .then(() => undefined, (err: unknown) => options.log.warn({ cause: describe(err) }, 'notifications cut short could not be looked for'))
      .finally(() => (running = undefined));
  }, options.everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
