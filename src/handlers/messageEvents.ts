import type { AuthenticatedPartner } from '../auth/authenticate';
import { AppError, type ErrorDetail } from '../errors';
import type { RequestContext } from '../http/context';
import type { EventCheck } from '../http/eventContract';
import type { Idempotency } from '../idempotency';
import type { AppointmentEvent, Loc } from '../inputs/inputEvent';
import type { EventSource } from '../store/eventDocument';
import type { EventStore, SavedEvent } from '../store/eventStore';
import type { AppointmentStarts } from '../store/appointmentStarts';
import type { PendingNotifications } from '../store/pendingNotifications';
import type { VersionKeys } from '../store/versionKeys';
import type { WaitBudget } from '../store/waitBudget';

export interface MessageDeps {
  store: Pick<EventStore, 'saveEvent'>;
  testStore: Pick<EventStore, 'saveEvent'>;
  /** Checks events read from a message against the spec's AppointmentEvent (set up by app.ts). */
  checkEvent: EventCheck;
  starts: AppointmentStarts;
  /** Write-ahead records of notifications with several events (see pendingNotifications.ts). */
  pending: PendingNotifications;
  /** The content each FHIR version was first sent with (see versionKeys.ts). */
  versionKeys: VersionKeys;
  now: () => Date;
}

/** What storing a message's events needs (no check: a message is checked before). */
export type StoringDeps = Omit<MessageDeps, 'checkEvent'>;

/** One event of a message, ready to store. */
export interface MessageEvent {
  event: AppointmentEvent;
  idempotency: Idempotency;
  source: EventSource;
  /** Where the event's own id was found (`["body", "MSH", 10]`), for a refusal of a reused or overlong one. */
  keyLoc: Loc;
  /** The event type when it is still being decided (a FHIR booking or a move): settled while the event queues. */
  eventType?: Promise<AppointmentEvent['event_type']>;
}

/** The store of the key's mode: a test key's events are kept apart from live ones. */
function storeFor(deps: StoringDeps, partner: Pick<AuthenticatedPartner, 'mode'>): MessageDeps['store'] {
  return partner.mode === 'test' ? deps.testStore : deps.store;
}

/** The longest message id kept as a key (HL7's MSH-10 since v2.6): it is stored with the event. */
export const MAX_CONTROL_ID = 199;

export function refuseIfAny(problems: readonly ErrorDetail<'invalid_payload'>[]): void {
  if (problems.length > 0) throw new AppError('invalid_payload', problems);
}

/** Refuses the message if an id it gives its events is too long to keep beside them. */
export function refuseLongIds(items: readonly Pick<MessageEvent, 'source' | 'keyLoc'>[]): void {
  refuseIfAny(
    items
      .filter((item) => (item.source.control_id?.length ?? 0) > MAX_CONTROL_ID)
      .map((item) => ({
        loc: [...item.keyLoc],
        msg: `ensure this value has at most ${MAX_CONTROL_ID} characters`,
        type: 'value_error.any_str.max_length',
        ctx: { limit_value: MAX_CONTROL_ID },
      })),
  );
}

export const reusedItem = (loc: Loc): ErrorDetail<'idempotency_key_reused'> => ({
  loc: [...loc],
  msg: 'this id was already used for a different event',
  type: 'value_error.idempotency_key_reused',
});

/**
 * Stores every event of one message; ids already used for other content must have been refused
 * before (a notification's versions are claimed first, see fhirEvents.ts). Then `beforeWrite`
 * runs (a notification's write-ahead record), the events are queued one after the other and
 * every write is waited for (none is abandoned half-way); if one failed, the request fails, and
 * the record left behind has the service complete the rest (notificationRecovery.ts), as the
 * sender's resend would.
 */
export async function saveAll(
  budget: WaitBudget,
  deps: StoringDeps,
  partner: Pick<AuthenticatedPartner, 'name' | 'mode'>,
  items: readonly MessageEvent[],
  beforeWrite?: (remainingMs: number) => Promise<void>,
): Promise<SavedEvent[]> {
  const target = storeFor(deps, partner);
  if (beforeWrite) await budget.spend(beforeWrite);
  const receivedAt = deps.now();
  const results = await budget.spend((remainingMs) =>
    Promise.allSettled(items.map((item) => target.saveEvent(item.event, receivedAt, partner.name, item.idempotency, remainingMs, item.source, item.eventType))),
  );
  const saved: SavedEvent[] = [];
  for (const [i, result] of results.entries()) {
    if (result.status === 'fulfilled') {
      saved.push(result.value);
      continue;
    }
    const err: unknown = result.reason;
    // The store names the JSON route's header; here the id is in the message.
    if (err instanceof AppError && err.code === 'idempotency_key_reused') throw new AppError('idempotency_key_reused', [reusedItem(items[i]!.keyLoc)]);
    throw err;
  }
  return saved;
}

/** What the request log, metrics and delivery record learn of a stored message. */
export function noteOutcome(ctx: RequestContext, saved: readonly SavedEvent[], source: Idempotency['source']): boolean {
  const replayed = saved.length > 0 && saved.every((s) => s.replayed);
  const first = saved[0]?.accepted;
  Object.assign(ctx.outcome, { eventId: first?.event_id, replayed, eventType: first?.data.event_type, idempotency: source });
  // A repeat stores nothing new: it does not count against the partner's rate limit.
  if (replayed) ctx.refundRateLimit?.();
  return replayed;
}
