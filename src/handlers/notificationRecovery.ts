import type { Logger } from 'pino';
import { ERROR_CODES } from '../errorCatalogue';
import { isAppError } from '../errors';
import { describe } from '../http/requestLog';
import { repeatEvery } from '../repeat';
import type { DueNotification } from '../store/pendingNotifications';
import { WaitBudget } from '../store/waitBudget';
import { storeFhirEvents } from './fhirEvents';
import type { StoringDeps } from './messageEvents';

/** Records taken up at most in one sweep: a backlog after an outage goes a sweep at a time. */
const PER_SWEEP = 50;
/** The longest wait between two attempts at one record. */
const MAX_BACKOFF_MS = 10 * 60_000;

export interface RecoveryOptions {
  /** A record younger than this may still belong to a request in flight, and is left to it. */
  afterMs: number;
  /** The first wait after a failed attempt, doubled at each one after it (at most ten minutes). */
  backoffMs: number;
  /** How long each database call may take. */
  timeoutMs: number;
  log: Logger;
  /** True once the service is stopping: no further record is taken up. */
  halted?: () => boolean;
  /** Told of each record's outcome (the metrics count them). */
  onOutcome?: (outcome: RecoveryOutcome) => void;
}

/**
 * completed: every event is stored now (the ones stored before come back as replays);
 * refused: one can never be (its key now names other content), so the record is dropped;
 * failed: it was not completed for another reason (most often, the database did not answer);
 * the record is tried again later.
 */
export type RecoveryOutcome = 'completed' | 'refused' | 'failed';

/**
 * Completes the notifications whose write was cut short (a write-ahead record outlived its
 * request: see pendingNotifications.ts), exactly as the sender's resend would: same keys, same
 * checks, and the event types decided before the cut. An instance first claims a record, which
 * pushes its next attempt back (so a record that keeps failing waits longer and longer, and does
 * not hold up the others); storing is idempotent, so a resend arriving meanwhile, or two
 * instances taking one record, still store each event once. The log names the partner, the mode
 * and the record, never anything of the events.
 */
export async function recoverNotifications(deps: StoringDeps, options: RecoveryOptions): Promise<void> {
  const now = deps.now();
  const due = await deps.pending.due(new Date(now.getTime() - options.afterMs), now, PER_SWEEP, options.timeoutMs);
  for (const record of due) {
    if (options.halted?.()) return;
    const wait = Math.min(MAX_BACKOFF_MS, options.backoffMs * 2 ** record.attempts);
    let claimed: boolean;
    try {
      claimed = await deps.pending.claim(record, new Date(deps.now().getTime() + wait), options.timeoutMs);
    } catch (err) {
      // Not taken up: it stays due, and the next record is tried.
      options.log.warn({ ...aboutRecord(record), cause: describe(err) }, 'a notification cut short could not be claimed; it is tried again later');
      options.onOutcome?.('failed');
      continue;
    }
    if (!claimed) continue;
    const outcome = await completeOne(deps, record, options);
    if (outcome) options.onOutcome?.(outcome);
  }
}

/** What the log says of a record: never anything of its events. */
const aboutRecord = (record: DueNotification) => ({ partner: record.partner, mode: record.mode, record: record.id, events: record.entries.length, attempt: record.attempts + 1 });

/** Completes one claimed record: its outcome, or none when the service stopped under it. */
async function completeOne(deps: StoringDeps, record: DueNotification, options: RecoveryOptions): Promise<RecoveryOutcome | undefined> {
  const about = aboutRecord(record);
  try {
    await storeFhirEvents(deps, new WaitBudget(options.timeoutMs), { name: record.partner, mode: record.mode }, record.entries, { recorded: record.id });
    options.log.info({ ...about, ageSeconds: Math.round((deps.now().getTime() - record.at.getTime()) / 1000) }, 'a notification cut short was completed');
    return 'completed';
  } catch (err) {
    if (isAppError(err) && ERROR_CODES[err.code].retry === 'no') {
      options.log.error({ ...about, code: err.code }, 'a notification cut short cannot be completed: an event of it is refused now; the events stored of it stay');
      await deps.pending.settle(record.id, options.timeoutMs).catch(() => undefined);
      return 'refused';
    }
    if (options.halted?.()) {
      options.log.info(about, 'a notification cut short is left for the next sweep: this instance is stopping');
      return undefined;
    }
    options.log.warn({ ...about, cause: describe(err) }, 'a notification cut short could not be completed yet; it is tried again later');
    return 'failed';
  }
}

/**
 * Runs recoverNotifications every `everyMs` (a sweep still running skips a turn). The returned
 * stop takes up no further record and waits for the one in hand at most `waitMs`: a record cut
 * short again by the stop stays for the next sweep, here or on another instance.
 */
export function keepRecovering(deps: StoringDeps, options: RecoveryOptions & { everyMs: number }): (waitMs: number) => Promise<void> {
  let halted = false;
  const stop = repeatEvery(
    options.everyMs,
    () => recoverNotifications(deps, { ...options, halted: () => halted || options.halted?.() === true }),
    (err) => options.log.warn({ cause: describe(err) }, 'notifications cut short could not be looked for'),
  );
  return (waitMs) => {
    halted = true;
    return stop(waitMs);
  };
}
