import type { Appointment, Bundle } from '@medplum/fhirtypes';
import { AppError, type ErrorDetail } from '../errors';
import { FocusIndex, list, readNotificationStatus, record, referenceTarget, text, type NotificationEvent } from './fhirNotification';
import type { AppointmentEvent, InputEvent, Loc } from './inputEvent';

/**
 * FHIR R4 Appointment input: a lone Appointment, or a topic-based subscription notification
 * (Bundle of type history, R4 Backport or R4B) carrying Appointments, read into the events the
 * JSON route would have received. Pure. The request schema has checked the outline; every field
 * is still read defensively, so odd but valid input yields an AppError, never a crash.
 */

export interface FhirReading {
  /** One per Appointment entry that names one of our event types, in entry order. */
  events: InputEvent[];
  /** Appointments whose status names no event (proposed, pending, …): loc of their `status`. */
  ignored: { loc: Loc; status: string }[];
  /** The notification's type, when the body is a notification. */
  notificationType?: string;
}

export interface FhirOptions {
  /** When set, appointment_id is the value of the first identifier with this system. */
  identifierSystem?: string;
}

type Item = ErrorDetail<'invalid_payload'>;
type EventType = AppointmentEvent['event_type'];
type Json = Record<string, unknown>;

/** R4 Appointment.status → event type; null: no event (not yet a booking, or a step within one). */
const EVENT_OF_STATUS: ReadonlyMap<string, EventType | null> = new Map<string, EventType | null>([
  ['booked', 'appointment.scheduled'],
  ['cancelled', 'appointment.cancelled'],
  // Recorded by mistake: it will not happen, as with HL7's S17.
  ['entered-in-error', 'appointment.cancelled'],
  ['fulfilled', 'appointment.completed'],
  ['noshow', 'appointment.no_show'],
  ['proposed', null],
  ['pending', null],
  ['waitlist', null],
  ['arrived', null],
  ['checked-in', null],
]);
const STATUSES = [...EVENT_OF_STATUS.keys()];

const missing = (loc: Loc, msg: string): Item => ({ loc: ['body', ...loc], msg, type: 'value_error.missing' });

export function readFhirBody(body: Appointment | Bundle, options: FhirOptions): FhirReading {
  const reading: FhirReading = { events: [], ignored: [] };
  const items: Item[] = [];
  const root = record(body);
  if (root?.resourceType === 'Bundle') readBundle(root, options, items, reading);
  else if (root?.resourceType === 'Appointment') readAppointment(root, { prefix: [], event: undefined, subscription: undefined }, options, items, reading);
  else {
    // The request schema lets nothing else through; this keeps a wiring mistake a 422, not a 500.
    const msg = "value is not a valid enumeration member; permitted: 'Appointment', 'Bundle'";
    items.push({ loc: ['body', 'resourceType'], msg, type: 'type_error.enum', ctx: { enum_values: ['Appointment', 'Bundle'] } });
  }
  if (items.length > 0) throw new AppError('invalid_payload', items);
  return reading;
}

function readBundle(bundle: Json, options: FhirOptions, items: Item[], reading: FhirReading): void {
  const entries = list(bundle.entry);
  const status = readNotificationStatus(record(entries[0])?.resource, ['entry', 0, 'resource']);
  if (status?.type !== undefined) reading.notificationType = status.type;
  const focus = new FocusIndex(status?.events ?? []);
  const byControlId = new Map<string, InputEvent>();
  // A notification without Appointments (a handshake, a heartbeat, a query status, other
  // resources only) is answered with nothing to store, so the subscription stays healthy.
  for (let i = 0; i < entries.length; i++) {
    const entry = record(entries[i]);
    const resource = record(entry?.resource);
    if (resource?.resourceType !== 'Appointment') continue;
    const meta = record(resource.meta);
    const event = focus.take(text(entry?.fullUrl), text(resource.id), text(meta?.versionId));
    const before = reading.events.length;
    readAppointment(resource, { prefix: ['entry', i, 'resource'], event, subscription: status?.subscription }, options, items, reading);
    const read = reading.events[before];
    if (read?.controlId === undefined) continue;
    const earlier = byControlId.get(read.controlId);
    if (!earlier) byControlId.set(read.controlId, read);
    else {
      // The same version delivered twice in one notification is one event; two contents for one
      // version cannot both be true.
      reading.events.pop();
      if (!sameEvent(earlier, read)) {
        items.push({ loc: ['body', 'entry', i], msg: 'another entry carries the same appointment version with different content', type: 'value_error.fhir.duplicate_entry' });
      }
    }
  }
}

function sameEvent({ event: x, bookedStart: a }: InputEvent, { event: y, bookedStart: b }: InputEvent): boolean {
  const sameIds = x.appointment_id === y.appointment_id && x.patient_id === y.patient_id;
  return sameIds && x.event_type === y.event_type && x.timestamp === y.timestamp && x.notes === y.notes && a === b;
}

interface Context {
  /** Location of the resource (after "body"): [] for a lone one, ['entry', i, 'resource'] in a bundle. */
  prefix: Loc;
  /** The notification event focusing this resource, if any. */
  event: NotificationEvent | undefined;
  subscription: string | undefined;
}

/** Reads one Appointment into `reading`, or its problems into `items` (one per location). */
function readAppointment(resource: Json, context: Context, options: FhirOptions, items: Item[], reading: FhirReading): void {
  const { prefix, event } = context;
  const at = (...path: (string | number)[]): Loc => (prefix.length === 0 ? path : [...prefix, ...path]);
  const status = resource.status;
  const eventType = typeof status === 'string' ? EVENT_OF_STATUS.get(status) : undefined;
  if (eventType === undefined) {
    const msg = `value is not a valid enumeration member; permitted: ${STATUSES.map((s) => `'${s}'`).join(', ')}`;
    items.push({ loc: ['body', ...at('status')], msg, type: 'type_error.enum', ctx: { enum_values: STATUSES } });
    return;
  }
  if (eventType === null) {
    reading.ignored.push({ loc: at('status'), status: status as string });
    return;
  }
  const problems = items.length;
  const id = text(resource.id);
  const meta = record(resource.meta);

  const appointment = appointmentId(resource, id, options.identifierSystem);
  if (!appointment) {
    items.push(
      options.identifierSystem === undefined
        ? missing(at('id'), 'the Appointment needs an id (no identifier system is configured)')
        : missing(at('identifier'), 'no identifier with the configured system and a value'),
    );
  }
  const patient = patientOf(list(resource.participant));
  if (patient === undefined) items.push(missing(at('participant'), 'no participant whose actor is a Patient'));
  else if (patient.id === undefined) {
    items.push(missing(at('participant', patient.index, 'actor'), 'the Patient actor has neither identifier.value nor a Patient/<id> reference'));
  }
  const lastUpdated = text(meta?.lastUpdated);
  const timestamp = lastUpdated ?? event?.timestamp;
  if (timestamp === undefined) items.push(missing(at('meta', 'lastUpdated'), 'no meta.lastUpdated, and no notification event focusing this Appointment gives a timestamp'));
  const start = text(resource.start);
  if (status === 'booked' && start === undefined) items.push(missing(at('start'), 'a booked Appointment needs its start'));

  const versionId = text(meta?.versionId);
  let controlId: string | undefined;
  if (id !== undefined && versionId !== undefined) controlId = `Appointment/${id}/_history/${versionId}`;
  else if (event?.eventNumber !== undefined && context.subscription !== undefined) controlId = `${context.subscription}#${event.eventNumber}`;
  else if (prefix.length > 0) items.push(missing(at('meta', 'versionId'), 'an entry needs meta.versionId, or a notification event focusing it, to identify the event'));

  if (items.length > problems || !appointment || patient?.id === undefined || timestamp === undefined) return;
  const notes = text(resource.comment) ?? null;
  const input: InputEvent = {
    event: { event_type: eventType, appointment_id: appointment.value, patient_id: patient.id, timestamp, notes },
    origins: {
      event_type: at('status'),
      appointment_id: at(...appointment.origin),
      patient_id: at('participant', patient.index, 'actor'),
      timestamp: lastUpdated !== undefined || !event ? at('meta', 'lastUpdated') : event.timestampLoc,
      notes: at('comment'),
    },
    controlId,
    format: 'fhir',
  };
  if (status === 'booked') input.bookedStart = start;
  reading.events.push(input);
}

function appointmentId(resource: Json, id: string | undefined, system: string | undefined): { value: string; origin: Loc } | undefined {
  if (system === undefined) return id === undefined ? undefined : { value: id, origin: ['id'] };
  const identifiers = list(resource.identifier);
  for (let k = 0; k < identifiers.length; k++) {
    const identifier = record(identifiers[k]);
    const value = text(identifier?.value);
    if (identifier?.system === system && value !== undefined) return { value, origin: ['identifier', k, 'value'] };
  }
  return undefined;
}

/** The first participant whose actor is a Patient, and the patient's id if the actor gives one. */
function patientOf(participants: readonly unknown[]): { index: number; id: string | undefined } | undefined {
  for (let j = 0; j < participants.length; j++) {
    const actor = record(record(participants[j])?.actor);
    if (!actor) continue;
    const reference = text(actor.reference);
    const target = reference === undefined ? undefined : referenceTarget(reference, 'Patient');
    if (!target && actor.type !== 'Patient') continue;
    // The reference names the Patient resource; an identifier may be of any system (even a
    // national number), so it is read only when there is no reference to go by.
    return { index: j, id: target?.id ?? text(record(actor.identifier)?.value) };
  }
  return undefined;
}
