import { createHash } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { components } from '../../generated/openapi';
import { AppError } from '../errors';
import { Batches } from './batches';
import { ensureCollection, insertFresh, maxTimeMS, withinBudget } from './dbErrors';
import type { KeyMode } from './partnerStore';

export const PENDING_NOTIFICATIONS_COLLECTION = 'pending_notifications';
/** On the local database records are written beside the events' inserts, not after them (see stores.ts). */
export const pendingDatabaseName = (dbName: string): string => `${dbName}_pending`;

/** One event of a notification as the handler read it, before its type was decided. */
export interface PendingEntry {
  event: components['schemas']['AppointmentEvent'];
  /** The message's own id for the event (`Appointment/<id>/_history/<versionId>`): its idempotency key. */
  controlId: string;
  /** A booked Appointment's start, as sent: its type is decided when the entry is stored. */
  bookedStart?: string;
  /** The type decided for a booked entry before the write was cut short: kept, as it cannot be decided again later. */
  eventType?: components['schemas']['AppointmentEvent']['event_type'];
}

type EventType = PendingEntry['eventType'];

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
  /** When an instance may next take it up (pushed back at each attempt). */
  next_at: Date;
  /** Attempts to complete it so far. */
  attempts: number;
}

/** A recorded notification still to be completed, and its name. */
export interface DueNotification extends PendingNotification {
  id: string;
  at: Date;
  attempts: number;
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
  /**
   * Records the notification before its events are written. A resend finds its record already
   * there and gets the types it keeps (by entry), which it must use rather than decide again.
   */
  record(notification: PendingNotification, timeoutMs: number): Promise<{ id: string; kept: EventType[] }>;
  /**
   * Keeps types decided for entries of a write that was cut short: only where the record holds
   * none yet, so a later, different decision never replaces the first. (On the local database an
   * update rewrites the whole document, so one racing a claim may undo the claim's push of
   * `next_at`: the record is then only taken up again sooner.)
   */
  remember(id: string, decisions: { index: number; eventType: NonNullable<EventType> }[], timeoutMs: number): Promise<void>;
  /** Deletes the record once every event is stored (or the notification can never be). */
  settle(id: string, timeoutMs: number): Promise<void>;
  /** Records made before `madeBefore` whose next attempt is due by `now`, the most overdue first, at most `limit`. */
  due(madeBefore: Date, now: Date, limit: number, timeoutMs: number): Promise<DueNotification[]>;
  /**
   * Takes a due record for one attempt, pushing its next one to `nextAt`: false when another
   * instance took it first (on MongoDB; on the local database, whose updates are not atomic, two
   * may both take it, which only repeats idempotent work).
   */
  claim(record: DueNotification, nextAt: Date, timeoutMs: number): Promise<boolean>;
}

export async function openPendingNotifications(db: Db, options: { indexes: boolean }): Promise<PendingNotifications> {
  const records: Collection<PendingDocument> = db.collection(PENDING_NOTIFICATIONS_COLLECTION);
  // Made now, not by the first notifications at once. Nearly always empty; where indexes serve,
  // the sweep still reads by due time.
  await ensureCollection(db, PENDING_NOTIFICATIONS_COLLECTION);
  if (options.indexes) await records.createIndex({ next_at: 1 }, { name: 'pending_notifications_next_at' });
  // Records written and deleted while another insert or delete is on its way go together in the
  // next (one transaction on the local database). True for a record inserted, false for one there.
  const inserts = new Batches<PendingDocument, boolean>((docs) => insertFresh(records, docs));
  const deletes = new Batches<string, void>(async (ids) => {
    await records.deleteMany({ _id: { $in: ids } });
    return ids.map(() => undefined);
  });
  return {
    async record(notification, timeoutMs) {
      // An insert sent with no time left would be answered 503 and might still land.
      if (timeoutMs <= 0) throw new AppError('database_unavailable');
      const id = recordId(notification);
      const at = new Date();
      // A resend of a notification whose write was cut short finds its record: it stands for both.
      const fresh = await withinBudget(timeoutMs, inserts.add({ _id: id, ...notification, at, next_at: at, attempts: 0 }));
      if (fresh) return { id, kept: [] };
      // Gone since (completed meanwhile): every event is stored, and this write finds replays.
      const existing = await withinBudget(timeoutMs, records.findOne({ _id: id }, { projection: { entries: 1 } }));
      return { id, kept: (existing?.entries ?? []).map((entry) => entry.eventType) };
    },
    async remember(id, decisions, timeoutMs) {
      // One after the other: on the local database two updates of one document at once can undo each other.
      const keepAll = async () => {
        for (const { index, eventType } of decisions) {
          await records.updateOne({ _id: id, [`entries.${index}.eventType`]: { $exists: false } }, { $set: { [`entries.${index}.eventType`]: eventType } });
        }
      };
      await withinBudget(timeoutMs, keepAll());
    },
    async settle(id, timeoutMs) {
      await withinBudget(timeoutMs, deletes.add(id));
    },
    async due(madeBefore, now, limit, timeoutMs) {
      const query = records.find({ at: { $lt: madeBefore }, next_at: { $lte: now } }, { sort: { next_at: 1 }, limit, maxTimeMS: maxTimeMS(timeoutMs) });
      const docs = await withinBudget(timeoutMs, query.toArray());
      return docs.map(({ _id, at, attempts, partner, mode, entries }) => ({ id: _id, at, attempts, partner, mode, entries }));
    },
    async claim(record, nextAt, timeoutMs) {
      const taken = await withinBudget(timeoutMs, records.updateOne({ _id: record.id, attempts: record.attempts }, { $set: { next_at: nextAt }, $inc: { attempts: 1 } }));
      return taken.modifiedCount === 1;
    },
  };
}

/** Names a notification by its partner, mode and the keys of its events, in the order sent. */
function recordId(notification: PendingNotification): string {
  // JSON frames each part, whatever characters a sender's ids hold.
  const parts = JSON.stringify([notification.mode, notification.partner, ...notification.entries.map((entry) => entry.controlId)]);
  return createHash('sha256').update(parts).digest('base64url');
}
