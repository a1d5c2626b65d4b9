import type { Collection } from 'mongodb';
import type { KeyMode } from './partnerStore';
import { RecentMap } from '../recentMap';
import { takenIndexes, withinBudget } from './dbErrors';
import { Batches } from './batches';
import type { BesideClaims } from './versionKeys';

/** Where starts were kept before they joined the version claims (see startsMigration.ts). */
export const APPOINTMENT_STARTS_COLLECTION = 'appointment_starts';
export const startsDatabaseName = (dbName: string): string => `${dbName}_starts`;

/** A start's `_id` among the mode's claims: `s|` and the JSON of partner and appointment id. */
export const startId = (partner: string, appointmentId: string): string => `s|${JSON.stringify([partner, appointmentId])}`;

/**
 * The starts of the two newest booked versions of one appointment of one partner (FHIR
 * `Appointment.start`), kept with the mode's version claims (see BesideClaims).
 */
export interface StartDocument {
  /** See startId: a lookup by `_id` (from an index on MongoDB; the local database reads them all, so only when the insert is refused). */
  _id: string;
  /** When it was written (test-mode claims are deleted by it). */
  at: Date;
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
 * an appointment's first booking (most of them) is one document added to the insert that claims
 * the versions of the moment; only a later version reads its document (by `_id`) and replaces it.
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

export function openAppointmentStarts(claims: BesideClaims, remembered = 10_000): AppointmentStarts {
  // Keyed by mode too: the two modes' claims live apart.
  const recent = new RecentMap<string, StartDocument>(remembered);
  const replaces: Record<KeyMode, Batches<StartDocument, void>> = { live: replacing(claims.collection('live')), test: replacing(claims.collection('test')) };

  return {
    claimFirst(mode, partner, appointmentId, booked) {
      const _id = startId(partner, appointmentId);
      const known = `${mode}${_id}`;
      if (recent.touch(known)) return undefined;
      const fresh: StartDocument = { _id, at: new Date(), start: booked.start, as_of: booked.asOf, previous: null };
      recent.set(known, fresh);
      // Taken: a newer version is stored (this one arrived late, or again); it is read when needed.
      const forget = () => recent.delete(known);
      claims.insert(mode, fresh).then((inserted) => inserted || forget(), forget);
      return undefined;
    },

    async claim(mode, partner, appointmentId, booked, timeoutMs) {
      const _id = startId(partner, appointmentId);
      const known = `${mode}${_id}`;
      const fresh: StartDocument = { _id, at: new Date(), start: booked.start, as_of: booked.asOf, previous: null };
      let stored = recent.touch(known);
      if (!stored) {
        if (await withinBudget(timeoutMs, claims.insert(mode, fresh))) {
          recent.set(known, fresh);
          return undefined;
        }
        stored = (await withinBudget(timeoutMs, claims.collection<StartDocument>(mode).findOne({ _id }))) ?? undefined;
        // Taken, then gone (deleted by hand, or a test claim past its days): start over as a first booking.
        if (!stored) return this.claim(mode, partner, appointmentId, booked, timeoutMs);
      }
      if (booked.asOf.getTime() === stored.as_of.getTime()) return asBooked(stored.previous);
      if (booked.asOf < stored.as_of) return undefined;
      // Two instances moving one appointment at the same moment may keep the older of the two
      // for a while; the next version puts it right.
      const moved: StartDocument = { _id, at: new Date(), start: booked.start, as_of: booked.asOf, previous: { start: stored.start, as_of: stored.as_of } };
      await withinBudget(timeoutMs, replaces[mode].add(moved));
      recent.set(known, moved);
      return asBooked(moved.previous);
    },
  };
}

/** Replaces starts, gathered (one update costs far more than a document on the local database). */
function replacing(starts: Collection<StartDocument>): Batches<StartDocument, void> {
  const replaceAll = (docs: StartDocument[]) =>
    starts.bulkWrite(docs.map(({ _id, ...fields }) => ({ replaceOne: { filter: { _id }, replacement: fields, upsert: true } })), { ordered: false });
  return new Batches<StartDocument, void>(async (docs) => {
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
}
