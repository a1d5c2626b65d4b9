import type { Db } from 'mongodb';
import type { KeyMode } from './partnerStore';
import { RecentMap } from '../recentMap';
import { insertFresh, takenIndexes, withinBudget } from './dbErrors';
import { Batches } from './batches';

export const APPOINTMENT_STARTS_COLLECTION = 'appointment_starts';

/** The database that holds the starts on the local database (see stores.ts): `<MONGODB_DB>_starts`. */
export const startsDatabaseName = (dbName: string): string => `${dbName}_starts`;

/** The starts of the two newest booked versions of one appointment of one partner (FHIR `Appointment.start`). */
interface StartDocument {
  /** Mode, partner and appointment id: a lookup by `_id` is the one query every database serves from an index. */
  _id: string;
  start: Date;
  /** When that version changed (its meta.lastUpdated): an older version never replaces a newer one. */
  as_of: Date;
  /** The booked version before it, so that a resend of the newest is compared as it first was. */
  previous: { start: Date; as_of: Date } | null;
}

export interface BookedStart {
  start: Date;
  asOf: Date;
}

/**
 * Where a FHIR `booked` Appointment finds the start its appointment had before, to tell a booking
 * (`appointment.scheduled`) from a move (`appointment.rescheduled`): FHIR has no reschedule status,
 * only a booked appointment whose start changed. Versions are ordered by their time, whatever order
 * they arrive in.
 *
 * Made for the local database, where one update costs as much as inserting a hundred documents:
 * an appointment's first booking (most of them) is one document added to an insert shared by the
 * requests of the moment; only a later version reads its document (by `_id`) and replaces it.
 */
export interface AppointmentStarts {
  /**
   * Records `booked` as the newest booked version if it is, and answers with the start of the
   * version booked before it: undefined for a first booking, and for a version older than one
   * recorded (what came before it is unknown). A resend gets the answer it got the first time.
   */
  claim(mode: KeyMode, partner: string, appointmentId: string, booked: BookedStart, timeoutMs: number): Promise<BookedStart | undefined>;
  /**
   * The same for a resource's first version, which has no version before it: answered at once
   * (undefined), its start recorded in the background. A failed or lost record (the process
   * stopped first) leaves the next version compared with nothing: taken for no move.
   */
  claimFirst(mode: KeyMode, partner: string, appointmentId: string, booked: BookedStart): undefined;
}

const asBooked = (at: { start: Date; as_of: Date } | null): BookedStart | undefined => (at ? { start: at.start, asOf: at.as_of } : undefined);

/**
 * How long starts gather before an insert (see Batches): a claim for a later version waits while
 * its event queues for the write anyway; a first version's start is written after the reply.
 */
const CLAIM_LINGER_MS = 3;
const FIRST_LINGER_MS = 20;

export function openAppointmentStarts(db: Db, remembered = 10_000): AppointmentStarts {
  const starts = db.collection<StartDocument>(APPOINTMENT_STARTS_COLLECTION);
  const recent = new RecentMap<string, StartDocument>(remembered);
  // True for each document inserted; false when its `_id` was taken (the appointment was booked before).
  const inserts = new Batches<StartDocument, boolean>((docs) => insertFresh(starts, docs), 1000, CLAIM_LINGER_MS);
  // First versions' starts, recorded after the reply: gathered longer, into fewer inserts.
  const firstInserts = new Batches<StartDocument, boolean>((docs) => insertFresh(starts, docs), 1000, FIRST_LINGER_MS);
  const replaceAll = (docs: StartDocument[]) =>
    starts.bulkWrite(docs.map(({ _id, ...fields }) => ({ replaceOne: { filter: { _id }, replacement: fields, upsert: true } })), { ordered: false });
  const replaces = new Batches<StartDocument, void>(async (docs) => {
    try {
      await replaceAll(docs);
    } catch (err) {
      // An upsert that raced an insert of the same `_id` (the local database does not retry
      // it as MongoDB does): the document exists now, so the replace is made again.
      const taken = takenIndexes(err);
      if (!taken) throw err;
      await replaceAll(docs.filter((_, i) => taken.has(i)));
    }
    return docs.map(() => undefined);
  });

  return {
    claimFirst(mode, partner, appointmentId, booked) {
      const _id = JSON.stringify([mode, partner, appointmentId]);
      if (recent.touch(_id)) return undefined;
      const fresh: StartDocument = { _id, start: booked.start, as_of: booked.asOf, previous: null };
      recent.set(_id, fresh);
      // Taken: a newer version is stored (this one arrived late, or again); it is read when needed.
      const forget = () => recent.delete(_id);
      firstInserts.add(fresh).then((inserted) => inserted || forget(), forget);
      return undefined;
    },

    async claim(mode, partner, appointmentId, booked, timeoutMs) {
      const _id = JSON.stringify([mode, partner, appointmentId]);
      const fresh: StartDocument = { _id, start: booked.start, as_of: booked.asOf, previous: null };
      let stored = recent.touch(_id);
      if (!stored) {
        if (await withinBudget(timeoutMs, inserts.add(fresh))) {
          recent.set(_id, fresh);
          return undefined;
        }
        stored = (await withinBudget(timeoutMs, starts.findOne({ _id }))) ?? undefined;
        // Taken, then gone (deleted by hand): start over as a first booking.
        if (!stored) return this.claim(mode, partner, appointmentId, booked, timeoutMs);
      }
      if (booked.asOf.getTime() === stored.as_of.getTime()) return asBooked(stored.previous);
      if (booked.asOf < stored.as_of) return undefined;
      // Two instances moving one appointment at the same moment may keep the older of the two
      // for a while; the next version puts it right.
      const moved: StartDocument = { _id, start: booked.start, as_of: booked.asOf, previous: { start: stored.start, as_of: stored.as_of } };
      await withinBudget(timeoutMs, replaces.add(moved));
      recent.set(_id, moved);
      return asBooked(moved.previous);
    },
  };
}
