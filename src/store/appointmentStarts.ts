import type { Db } from 'mongodb';
import type { KeyMode } from './partnerStore';
import { RecentMap } from '../recentMap';
import { isDuplicateKey, toAppError } from './dbErrors';
import { WaitBudget } from './waitBudget';

export const APPOINTMENT_STARTS_COLLECTION = 'appointment_starts';

/** The start of the newest booked version of one appointment of one partner (FHIR `Appointment.start`). */
interface StartDocument {
  /** Mode, partner and appointment id: a lookup by `_id` is the one query every database serves from an index. */
  _id: string;
  start: Date;
  /** When that version changed (its meta.lastUpdated): an older version never replaces a newer one. */
  as_of: Date;
  updated_at: Date;
}

export interface BookedStart {
  start: Date;
  asOf: Date;
}

/**
 * Where a FHIR `booked` Appointment finds the start its appointment had, to tell a booking
 * (`appointment.scheduled`) from a move (`appointment.rescheduled`): FHIR has no reschedule
 * status, only a booked appointment whose start changed. One small document per appointment,
 * read by `_id`, kept for the newest version by its time, whatever order versions arrive in;
 * starts read or written lately are answered from memory.
 */
export interface AppointmentStarts {
  /** The newest booked start stored, or undefined when none was booked through FHIR. */
  get(mode: KeyMode, partner: string, appointmentId: string, timeoutMs: number): Promise<BookedStart | undefined>;
  /** Keeps `booked` unless a version at least as new is stored already. */
  set(mode: KeyMode, partner: string, appointmentId: string, booked: BookedStart, timeoutMs: number): Promise<void>;
}

export function openAppointmentStarts(db: Db, remembered = 10_000): AppointmentStarts {
  const starts = db.collection<StartDocument>(APPOINTMENT_STARTS_COLLECTION);
  const recent = new RecentMap<string, BookedStart>(remembered);
  const idOf = (mode: KeyMode, partner: string, appointmentId: string) => JSON.stringify([mode, partner, appointmentId]);
  const within = async <T>(timeoutMs: number, work: Promise<T>): Promise<T> => {
    try {
      return await new WaitBudget(timeoutMs).wait(work);
    } catch (err) {
      throw toAppError(err);
    }
  };
  return {
    async get(mode, partner, appointmentId, timeoutMs) {
      const _id = idOf(mode, partner, appointmentId);
      const known = recent.touch(_id);
      if (known) return known;
      const found = await within(timeoutMs, starts.findOne({ _id }, { projection: { start: 1, as_of: 1 } }));
      if (!found) return undefined;
      const booked = { start: found.start, asOf: found.as_of };
      recent.set(_id, booked);
      return booked;
    },
    async set(mode, partner, appointmentId, booked, timeoutMs) {
      const _id = idOf(mode, partner, appointmentId);
      const known = recent.touch(_id);
      if (known && known.asOf >= booked.asOf) return;
      try {
        // Matches only an older version; with a newer one stored, the upsert's insert finds the
        // `_id` taken, which says the same as a miss: the stored start stays.
        await within(timeoutMs, starts.updateOne({ _id, as_of: { $lt: booked.asOf } }, { $set: { start: booked.start, as_of: booked.asOf, updated_at: new Date() } }, { upsert: true }));
        recent.set(_id, booked);
      } catch (err) {
        if (!isDuplicateKey(err) && !isDuplicateKey((err as { cause?: unknown }).cause)) throw err;
        recent.delete(_id);
      }
    },
  };
}
