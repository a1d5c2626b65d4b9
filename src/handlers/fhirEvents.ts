import { AppError } from '../errors';
import { idempotencyOf, messageIdempotency, type Idempotency } from '../idempotency';
import type { AppointmentEvent, InputEvent } from '../inputs/inputEvent';
import type { SavedEvent } from '../store/eventStore';
import type { KeyMode } from '../store/partnerStore';
import type { PendingEntry } from '../store/pendingNotifications';
import type { WaitBudget } from '../store/waitBudget';
import { instantOf } from '../timestamp';
import { refuseLongIds, reusedItem, saveAll, type MessageEvent, type StoringDeps } from './messageEvents';

/** What storing a FHIR input needs of it: what the reader gave, or what a write-ahead record kept. */
export type FhirInput = Pick<InputEvent, 'event' | 'controlId' | 'bookedStart'> & Partial<Pick<InputEvent, 'origins'>> & Pick<PendingEntry, 'eventType'>;

export interface FhirSender {
  name: string;
  mode: KeyMode;
  webhookId?: string;
}

/**
 * Stores the events read from one FHIR request (or kept in its write-ahead record), all or none:
 * with several, each version is claimed for its content first (a version already sent with other
 * content refuses them all before anything is written), the record is written next, and deleted
 * once each is stored; `recorded` names a record already there (the service completing it). A
 * lone Appointment is one write, whole or not at all: its version is claimed beside it.
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
  const lone = inputs.length === 1 && explicit.recorded === undefined;
  if (!lone) await claimVersions(deps, budget, sender.mode, items);
  const loneClaim = lone && inputs[0]!.controlId !== undefined ? claimBeside(deps, budget, sender.mode, items[0]!) : undefined;
  // Only a lone Appointment may come without a version, so every entry of a record has its key.
  const entries = !lone && explicit.recorded === undefined ? inputs.map((input) => pendingEntry(input)) : undefined;
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
    await loneClaim?.settled();
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
  // Every event is stored: the reply need not wait for the record's delete, and a record that
  // outlives it (a failed delete) is completed again, as replays.
  if (recorded !== undefined) void deps.pending.settle(recorded, SETTLE_TIMEOUT_MS).catch(() => undefined);
  return { saved, source: items[0]!.idempotency.source };
}

/**
 * Refuses a notification (or a record being completed) if one of its versions was first sent
 * with other content (see versionKeys.ts). Only a lone Appointment comes without a version, so
 * every item here has one.
 */
async function claimVersions(deps: StoringDeps, budget: WaitBudget, mode: KeyMode, items: readonly MessageEvent[]): Promise<void> {
  const reused = await budget.spend((remainingMs) => deps.versionKeys.claim(mode, items.map((item) => item.idempotency), remainingMs));
  if (reused.length > 0) throw new AppError('idempotency_key_reused', reused.map((i) => reusedItem(items[i]!.keyLoc)));
}

/**
 * Claims a lone Appointment's version beside its write (see versionKeys.ts): one write, whole or
 * not at all, whose outcome the claim does not change. `settled`, once the write is done, waits
 * for the claim (a claim that fails fails the request with 503, though the event is stored: a
 * resend is a replay and claims again). If the version was claimed for other content (by a
 * notification refused, or cut short and not completed yet), the event now stored holds the
 * version, and the claim is handed to it.
 */
function claimBeside(deps: StoringDeps, budget: WaitBudget, mode: KeyMode, item: MessageEvent): { settled: () => Promise<void> } {
  const claim = deps.versionKeys.claim(mode, [item.idempotency], budget.remainingMs);
  // A write that fails first leaves the claim unawaited: its own failure must not go unhandled.
  claim.catch(() => undefined);
  return {
    async settled() {
      const other = (await budget.spend(() => claim)).length > 0;
      if (other) await budget.spend((remainingMs) => deps.versionKeys.reassign(mode, item.idempotency, remainingMs));
    },
  };
}

/** How long the delete of a completed notification's record may take, after the reply. */
const SETTLE_TIMEOUT_MS = 5_000;

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
