import { Hl7Message } from '@medplum/core';
import { AppError, type ErrorDetail } from '../errors';
import { appointmentNotes, Fields, segmentOf } from './hl7Segments';
import { hl7Instant, readDelimiters, type Hl7Delimiters } from './hl7Text';
import type { AppointmentEvent, InputEvent, Loc } from './inputEvent';

/**
 * An SIU message (HL7 v2 ER7 text) read as one appointment event. Pure; refuses with AppError
 * only, and never names a value of the message in an error's msg (it may be patient data).
 */

type EventType = AppointmentEvent['event_type'];
type Problem = ErrorDetail<'invalid_payload'>;

export const HL7_VERSIONS = ['2.3', '2.3.1', '2.4', '2.5', '2.5.1', '2.6', '2.7', '2.7.1', '2.8', '2.8.1', '2.8.2', '2.9'];
const CHARSETS = ['ASCII', 'UNICODE UTF-8'];
/** S14 is read by SCH-25 (see fillerStatusEvent). */
const TRIGGERS: Readonly<Record<string, EventType | 'S14'>> = {
  S12: 'appointment.scheduled',
  S13: 'appointment.rescheduled',
  S14: 'S14',
  S15: 'appointment.cancelled',
  S17: 'appointment.cancelled',
  S26: 'appointment.no_show',
};
export const HL7_TRIGGERS = Object.keys(TRIGGERS);
/** HL7 table 0278 filler statuses that name an event; 'blocked' is refused, any other is the booking restated. */
const FILLER_STATUS_EVENTS: Readonly<Record<string, EventType | 'refused'>> = {
  complete: 'appointment.completed',
  noshow: 'appointment.no_show',
  cancelled: 'appointment.cancelled',
  deleted: 'appointment.cancelled',
  dc: 'appointment.cancelled',
  blocked: 'refused',
};

const parseError = (cause?: unknown): AppError<'malformed_message'> =>
  new AppError(
    'malformed_message',
    [{ loc: ['body'], msg: 'not an HL7 v2 message: an MSH segment with readable encoding characters (MSH-1, MSH-2) must come first', type: 'value_error.hl7.parse' }],
    {},
    cause === undefined ? undefined : { cause },
  );
const refuse = (problem: Problem): AppError<'invalid_payload'> => new AppError('invalid_payload', [problem]);

/**
 * The message's event, or an AppError: malformed_message when it is no HL7 message; otherwise
 * invalid_payload, at the first failing header check, or with every field problem at once.
 */
export function readHl7Message(text: string, options: { patientIdType: string }): InputEvent {
  const d = readDelimiters(text);
  if (!d) throw parseError();
  let message: Hl7Message;
  try {
    message = Hl7Message.parse(text);
  } catch (err) {
    throw parseError(err);
  }
  // Anything but an AppError from here on is a defect of ours: a 500 the sender may resend, not
  // a 400 that would tell it to fix a message that is fine.
  return mapMessage(message, text, d, options.patientIdType);
}

function mapMessage(message: Hl7Message, text: string, d: Hl7Delimiters, patientIdType: string): InputEvent {
  const msh = new Fields(d, message.header);
  const controlId = msh.whole(10);
  if (controlId === '') throw refuse({ loc: ['body', 'MSH', 10], msg: 'MSH-10 (message control id) is required', type: 'value_error.missing' });
  if (!HL7_VERSIONS.includes(msh.value(12, 1))) {
    throw refuse({ loc: ['body', 'MSH', 12], msg: 'MSH-12 must name a supported HL7 version', type: 'value_error.hl7.version', ctx: { enum_values: HL7_VERSIONS } });
  }
  const charsets = msh.repetitions(18).map((_, i) => msh.value(18, 1, i).toUpperCase());
  if (charsets.some((charset) => charset !== '' && !CHARSETS.includes(charset))) {
    throw refuse({ loc: ['body', 'MSH', 18], msg: 'MSH-18 must be ASCII or UNICODE UTF-8', type: 'value_error.hl7.charset', ctx: { enum_values: CHARSETS } });
  }
  if (msh.value(9, 1) !== 'SIU') {
    throw refuse({ loc: ['body', 'MSH', 9, 1], msg: 'MSH-9.1 must be SIU', type: 'value_error.hl7.message_type', ctx: { enum_values: ['SIU'] } });
  }
  const trigger = msh.value(9, 2);
  const mapped = Object.hasOwn(TRIGGERS, trigger) ? TRIGGERS[trigger] : undefined;
  if (mapped === undefined) {
    throw refuse({ loc: ['body', 'MSH', 9, 2], msg: 'MSH-9.2 must be an SIU trigger this receiver maps', type: 'value_error.hl7.trigger_event', ctx: { enum_values: HL7_TRIGGERS } });
  }
  const schSegment = segmentOf(message, 'SCH');
  const pidSegment = segmentOf(message, 'PID');
  if (!schSegment || !pidSegment) {
    const missing = [schSegment ? undefined : 'SCH', pidSegment ? undefined : 'PID'].filter((name) => name !== undefined);
    throw new AppError(
      'invalid_payload',
      missing.map((name) => ({ loc: ['body', name], msg: `the ${name} segment is required`, type: 'value_error.hl7.segment_missing' as const })),
    );
  }
  const sch = new Fields(d, schSegment);
  const problems: Problem[] = [];
  const take = <T>(result: T | Problem): T | undefined => {
    if (!isProblem(result)) return result;
    problems.push(result);
    return undefined;
  };

  const eventType = take(mapped === 'S14' ? fillerStatusEvent(sch) : mapped);
  const appointment = take(appointmentId(sch));
  const patient = take(patientId(new Fields(d, pidSegment), patientIdType));
  const timestamp = take(eventTime(message, msh, d));
  if (problems.length > 0 || !eventType || !appointment || !patient || !timestamp) throw new AppError('invalid_payload', problems);
  const event: AppointmentEvent = {
    event_type: eventType,
    appointment_id: appointment.value,
    patient_id: patient.value,
    timestamp: timestamp.value,
    notes: appointmentNotes(message, text, d),
  };
  const origins: Record<keyof AppointmentEvent, Loc> = {
    event_type: mapped === 'S14' ? ['SCH', 25] : ['MSH', 9, 2],
    appointment_id: appointment.loc,
    patient_id: patient.loc,
    timestamp: timestamp.loc,
    notes: ['NTE', 3],
  };
  return { event, origins, controlId, format: 'hl7v2' };
}

interface Found {
  value: string;
  loc: Loc;
}

function isProblem(result: unknown): result is Problem {
  return typeof result === 'object' && result !== null && 'type' in result;
}

function fillerStatusEvent(sch: Fields): EventType | Problem {
  const status = sch.value(25, 1).toLowerCase();
  const event = Object.hasOwn(FILLER_STATUS_EVENTS, status) ? FILLER_STATUS_EVENTS[status] : undefined;
  if (event === 'refused') return { loc: ['body', 'SCH', 25], msg: 'an S14 with filler status Blocked is no appointment event', type: 'value_error.hl7.filler_status' };
  return event ?? 'appointment.scheduled';
}

function appointmentId(sch: Fields): Found | Problem {
  const filler = sch.value(2, 1);
  if (filler !== '') return { value: filler, loc: ['SCH', 2, 1] };
  const placer = sch.value(1, 1);
  if (placer !== '') return { value: placer, loc: ['SCH', 1, 1] };
  return { loc: ['body', 'SCH', 2], msg: 'SCH-2.1 (filler appointment id) or SCH-1.1 (placer appointment id) is required', type: 'value_error.missing' };
}

function patientId(pid: Fields, type: string): Found | Problem {
  const identifiers = pid.repetitions(3);
  for (let i = 0; i < identifiers.length; i++) {
    if (pid.value(3, 5, i) !== type) continue;
    const value = pid.value(3, 1, i);
    if (value !== '') return { value, loc: ['PID', 3, i + 1, 1] };
  }
  return { loc: ['body', 'PID', 3], msg: `no PID-3 identifier of type ${type}`, type: 'value_error.missing' };
}

/** EVN-6 (event occurred), else EVN-2 (recorded), else MSH-7; component 1, as TS and DTM both start with the time. */
function eventTime(message: Hl7Message, msh: Fields, d: Hl7Delimiters): Found | Problem {
  const evnSegment = segmentOf(message, 'EVN');
  const evn = evnSegment ? new Fields(d, evnSegment) : undefined;
  let [segment, field, time] = ['EVN', 6, evn?.value(6, 1) ?? ''];
  if (time === '') [segment, field, time] = ['EVN', 2, evn?.value(2, 1) ?? ''];
  if (time === '') [segment, field, time] = ['MSH', 7, msh.value(7, 1)];
  const loc = ['body', segment, field];
  if (time === '') return { loc, msg: 'the event time (EVN-6, EVN-2 or MSH-7) is required', type: 'value_error.missing' };
  const instant = hl7Instant(time);
  if (instant.ok) return { value: instant.timestamp, loc: [segment, field] };
  return instant.problem === 'zone'
    ? { loc, msg: `${segment}-${field} must carry its UTC offset (+HHMM or -HHMM)`, type: 'value_error.hl7.timestamp_zone' }
    : { loc, msg: `${segment}-${field} must be an HL7 date/time to the minute at least (YYYYMMDDHHMM[SS[.S]]+/-ZZZZ)`, type: 'value_error.hl7.timestamp' };
}
