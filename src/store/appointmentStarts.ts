import type { Db } from 'mongodb';
import type { KeyMode } from './partnerStore';
import { RecentMap } from '../recentMap';
import { toAppError } from './dbErrors';
import { WaitBudget } from './waitBudget';

export const APPOINTMENT_STARTS_COLLECTION = 'appointment_starts';

/** The start last booked for one appointment of one partner (FHIR `Appointment.start`). */
interface StartDocument {
  /** Mode, partner and appointment id: a lookup by `_id` is the one query every database serves from an index. */
  _id: string;
  start: Date;
  updated_at: Date;
}

/**
 * Where a FHIR `booked` Appointment finds the start its appointment had, to tell a booking
 * (`appointment.scheduled`) from a move (`appointment.rescheduled`): FHIR has no reschedule
 * status, only a booked appointment whose start changed. One small document per appointment,
 * read by `_id`; starts read or written lately are answered from memory.
 */
export interface AppointmentStarts {
  /** The stored start, or undefined when none was booked through FHIR. */
  get(mode: KeyMode, partner: string, appointmentId: string, timeoutMs: number): Promise<Date | undefined>;
  set(mode: KeyMode, partner: string, appointmentId: string, start: Date, timeoutMs: number): Promise<void>;
}

export function openAppointmentStarts(db: Db, remembered = 10_000): AppointmentStarts {
  const starts = db.collection<StartDocument>(APPOINTMENT_STARTS_COLLECTION);
  const recent = new RecentMap<string, Date>(remembered);
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
      const found = await within(timeoutMs, starts.findOne({ _id }, { projection: { start: 1 } }));
      if (found) recent.set(_id, found.start);
      return found?.start;
    },
    async set(mode, partner, appointmentId, start, timeoutMs) {
      const _id = idOf(mode, partner, appointmentId);
      await within(timeoutMs, starts.updateOne({ _id }, { $set: { start, updated_at: new Date() } }, { upsert: true }));
      recent.set(_id, start);
    },
  };
}
