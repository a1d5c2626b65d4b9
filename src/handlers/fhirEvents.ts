import { idempotencyOf, messageIdempotency, type Idempotency } from '../idempotency';
import type { AppointmentEvent, InputEvent } from '../inputs/inputEvent';
import type { SavedEvent } from '../store/eventStore';
import type { KeyMode } from '../store/partnerStore';
import type { PendingEntry } from '../store/pendingNotifications';
import type { WaitBudget } from '../store/waitBudget';
import { instantOf } from '../timestamp';
import { refuseLongIds, saveAll, type MessageEvent, type StoringDeps } from './messageEvents';

/** What storing a FHIR input needs of it: what the reader gave, or what a write-ahead record kept. */
export type FhirInput = Pick<InputEvent, 'event' | 'controlId' | 'bookedStart'> & Partial<Pick<InputEvent, 'origins'>> & Pick<PendingEntry, 'eventType'>;

export interface FhirSender {
  name: string;
  mode: KeyMode;
  webhookId?: string;
}

/**
 * Stores the events read from one FHIR request (or kept in its write-ahead record), all or none:
 * with several, the record is written first (after the checks that can refuse them), and deleted
 * once each is stored; `recorded` names a record already there (the service completing it).
 */
export async function storeFhirEvents(
  deps: StoringDeps,
  budget: WaitBudget,
  sender: FhirSender,
  inputs: readonly FhirInput[],
  explicit: { idempotencyKey?: string; recorded?: string } = {},
): Promise<{ saved: SavedEvent[]; source: Idempotency['source'] }> {
  const items = inputs.map((input): MessageEvent => {
    const controlId = input.controlId;
    return {
      event: input.event,
      // A version names its event; a lone Appointment without one is keyed as a JSON event is.
      idempotency:
        controlId !== undefined
          ? messageIdempotency(sender.name, input.event, `fhir|${controlId}`)
          : idempotencyOf(sender.name, input.event, { idempotencyKey: explicit.idempotencyKey, webhookId: sender.webhookId }),
      source: { format: 'fhir', control_id: controlId },
      keyLoc: controlId !== undefined ? ['body', ...resourceLoc(input), 'meta', 'versionId'] : ['header', sender.webhookId !== undefined ? 'webhook-id' : 'idempotency-key'],
    };
  });
  refuseLongIds(items);
  // Only a lone Appointment may come without a version, so every entry of a record has its key.
  const entries = inputs.length > 1 && explicit.recorded === undefined ? inputs.map((input) => pendingEntry(input)) : undefined;
  let recorded = explicit.recorded;
  let decisions: Decisions | undefined;
  const decide = (kept: readonly PendingEntry['eventType'][] = []) =>
    (decisions = decideReschedules(budget.remainingMs, deps, sender.mode, sender.name, inputs.map((input, i) => ({ ...input, eventType: input.eventType ?? kept[i] })), items));
  // With a record, decided once it is written: a resend must use the types it already keeps.
  if (!entries) decide();
  const writeRecord = async (remainingMs: number) => {
    const { id, kept } = await deps.pending.record({ partner: sender.name, mode: sender.mode, entries: entries! }, remainingMs);
    recorded = id;
    decide(kept);
  };
  let saved: SavedEvent[];
  try {
    saved = await saveAll(budget, deps, sender, items, entries && writeRecord);
  } catch (err) {
    // Cut short: the record keeps what was decided, which a later claim could no longer tell (a
    // newer version may be booked meanwhile), once every claim is answered, however late (the
    // writer gives up waiting for a type after 250 ms; the claim goes on). The 503 goes out now.
    const id = recorded;
    if (id !== undefined && decisions) {
      const { done, claimed } = decisions;
      void done.then(() => (claimed().length > 0 ? deps.pending.remember(id, claimed(), REMEMBER_TIMEOUT_MS) : undefined)).catch(() => undefined);
    }
    throw err;
  }
  // Every event is stored: a record that outlives this (a failed delete) is completed again, as replays.
  if (recorded !== undefined) await deps.pending.settle(recorded, Math.max(1, budget.remainingMs)).catch(() => undefined);
  return { saved, source: items[0]!.idempotency.source };
}

/** How long keeping a cut-short write's decisions may take, after its reply. */
const REMEMBER_TIMEOUT_MS = 5_000;

function pendingEntry(input: FhirInput): PendingEntry {
  return { event: input.event, controlId: input.controlId!, ...(input.bookedStart !== undefined ? { bookedStart: input.bookedStart } : {}) };
}

interface Decisions {
  /** Settles once every claim is answered (or one failed, failing the rest). */
  done: Promise<void>;
  /** The types decided by a claim here (not given), by entry. */
  claimed: () => { index: number; eventType: AppointmentEvent['event_type'] }[];
}

/**
 * FHIR has no reschedule status: a `booked` Appointment whose start differs from the start of the
 * booked version before it (by meta.lastUpdated, whatever order they arrive in; see
 * AppointmentStarts) was moved. Decided while the events queue for their write (each item's
 * `eventType`), not before: on the local database a claim is an insert of its own. The
 * fingerprint was taken before, so a resend matches its first delivery. Versions in one
 * notification are claimed one by one, in the order they happened. An input whose type a record
 * kept is not claimed again.
 */
function decideReschedules(timeoutMs: number, deps: StoringDeps, mode: KeyMode, partner: string, inputs: readonly FhirInput[], items: MessageEvent[]): Decisions {
  const claimed = new Map<number, AppointmentEvent['event_type']>();
  inputs.forEach((input, i) => {
    if (input.eventType !== undefined) items[i]!.eventType = Promise.resolve(input.eventType);
  });
  const booked = inputs.flatMap((input, i) => {
    if (input.bookedStart === undefined || input.eventType !== undefined) return [];
    const start = new Date(input.bookedStart);
    // A start JavaScript cannot place (a leap second) is compared with nothing and not kept.
    // FHIR servers that number versions (HAPI, Azure) start at 1: version 1 has none before it.
    const first = input.controlId?.endsWith('/_history/1') === true;
    return Number.isNaN(start.getTime()) ? [] : [{ i, id: input.event.appointment_id, start, asOf: instantOf(input.event.timestamp), first }];
  });
  booked.sort((a, b) => a.asOf.getTime() - b.asOf.getTime());
  const decided = booked.map(({ i }) => {
    const decision = Promise.withResolvers<AppointmentEvent['event_type']>();
    // An event answered without a write (a replay) never asks: its decision must not go unhandled.
    decision.promise.catch(() => undefined);
    items[i]!.eventType = decision.promise;
    return decision;
  });
  const done = (async () => {
    for (const [k, { i, id, start, asOf, first }] of booked.entries()) {
      try {
        const before = first ? deps.starts.claimFirst(mode, partner, id, { start, asOf }) : await deps.starts.claim(mode, partner, id, { start, asOf }, timeoutMs);
        const type = before !== undefined && before.start.getTime() !== start.getTime() ? 'appointment.rescheduled' : items[i]!.event.event_type;
        claimed.set(i, type);
        decided[k]!.resolve(type);
      } catch (err) {
        for (const decision of decided.slice(k)) decision.reject(err);
        return;
      }
    }
  })();
  return { done, claimed: () => [...claimed].map(([index, eventType]) => ({ index, eventType })) };
}

/** Where the Appointment an event came from sits in the body: `['entry', i, 'resource']`, or the root. */
function resourceLoc(input: FhirInput): (string | number)[] {
  // A write-ahead record keeps no origins: its refusals go to the log, never to a sender.
  if (!input.origins) return [];
  const origin = input.origins.appointment_id;
  const at = origin.indexOf('resource');
  return at < 0 ? [] : origin.slice(0, at + 1);
}
