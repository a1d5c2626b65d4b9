import { createHash } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { components } from '../../generated/openapi';
import { isDuplicateKey, maxTimeMS, withinBudget } from './dbErrors';
import type { KeyMode } from './partnerStore';

export const PENDING_NOTIFICATIONS_COLLECTION = 'pending_notifications';

/** One event of a notification as the handler read it, before its type was decided. */
export interface PendingEntry {
  event: components['schemas']['AppointmentEvent'];
  /** The message's own id for the event (`Appointment/<id>/_history/<versionId>`): its idempotency key. */
  controlId: string;
  /** A booked Appointment's start, as sent: the type is decided again when the entry is stored. */
  bookedStart?: string;
}

export interface PendingNotification {
  partner: string;
  mode: KeyMode;
  entries: PendingEntry[];
}

interface PendingDocument extends PendingNotification {
  /** A digest of the entries' keys: a resend of the notification names the same record. */
  _id: string;
  /** When it was first recorded, by the clock of the instance that did. */
  at: Date;
}

/** A recorded notification still to be completed, and its name. */
export interface DueNotification extends PendingNotification {
  id: string;
  at: Date;
}

/**
 * The write-ahead record of a notification whose events are being stored: one document, which any
 * MongoDB-compatible database writes whole or not at all, holding the events read from it (never
 * the message). It is written before the first event and deleted after the last; one left behind
 * names a write that was cut short, and the service completes it (notificationRecovery.ts). So a
 * notification's events end stored all together or, when the record could not be written, not at
 * all, where neither FerretDB nor a deployment without transactions offers that for many documents.
 */
export interface PendingNotifications {
  /** Records the notification before its events are written; a resend finds its record already there. */
  record(notification: PendingNotification, timeoutMs: number): Promise<string>;
  /** Deletes the record once every event is stored (or the notification can never be). */
  settle(id: string, timeoutMs: number): Promise<void>;
  /** Records older than `before`, the oldest first, at most `limit`. */
  due(before: Date, limit: number, timeoutMs: number): Promise<DueNotification[]>;
}

export async function openPendingNotifications(db: Db, options: { indexes: boolean }): Promise<PendingNotifications> {
  const records: Collection<PendingDocument> = db.collection(PENDING_NOTIFICATIONS_COLLECTION);
  // The collection is nearly always empty; where indexes serve, the sweep still reads by age.
  if (options.indexes) await records.createIndex({ at: 1 }, { name: 'pending_notifications_at' });
  return {
    async record(notification, timeoutMs) {
      const id = recordId(notification);
      // A resend of a notification whose write was cut short finds its record: it stands for both.
      const inserted = records.insertOne({ _id: id, ...notification, at: new Date() }).then(
        () => undefined,
        (err: unknown) => {
          if (!isDuplicateKey(err)) throw err;
        },
      );
      await withinBudget(timeoutMs, inserted);
      return id;
    },
    async settle(id, timeoutMs) {
      await withinBudget(timeoutMs, records.deleteOne({ _id: id }));
    },
    async due(before, limit, timeoutMs) {
      const docs = await withinBudget(timeoutMs, records.find({ at: { $lt: before } }, { sort: { at: 1 }, limit, maxTimeMS: maxTimeMS(timeoutMs) }).toArray());
      return docs.map(({ _id, at, partner, mode, entries }) => ({ id: _id, at, partner, mode, entries }));
    },
  };
}

/** Names a notification by its partner, mode and the keys of its events, in the order sent. */
function recordId(notification: PendingNotification): string {
  const hash = createHash('sha256').update(`${notification.mode}\u0001${notification.partner}`);
  for (const entry of notification.entries) hash.update(`\u0001${entry.controlId}`);
  return hash.digest('base64url');
}
