import type { components } from '../../generated/openapi';

export type AppointmentEvent = components['schemas']['AppointmentEvent'];

/** Where a value was found in the message, as an error item's `loc` gives it (after "body"). */
export type Loc = readonly (string | number)[];

/** The formats a message may arrive in, besides the JSON event. */
export type MessageFormat = 'hl7v2' | 'fhir';

/**
 * One appointment event read out of a message of another format: the event as the JSON route
 * would have received it, plus what the message itself says about its identity. The event is not
 * yet checked against the spec's AppointmentEvent schema: the handler does that, and names a
 * failing field by `origins`, in the message's own terms.
 */
export interface InputEvent {
  event: AppointmentEvent;
  /** Where each field of `event` came from (for errors): `['SCH', 2]` or `['entry', 1, 'resource', 'identifier']`. */
  origins: Record<keyof AppointmentEvent, Loc>;
  /**
   * The message's own id for this event, the idempotency key: MSH-10 for HL7 v2; for FHIR
   * `Appointment/<id>/_history/<versionId>`, or the notification's `<subscription>#<event number>`.
   * Undefined only for a lone FHIR Appointment without a version (the payload then decides).
   */
  controlId: string | undefined;
  format: MessageFormat;
  /**
   * FHIR only: the appointment's start (as sent) when its status is `booked`. The event is then
   * `appointment.scheduled`, or `appointment.rescheduled` when the stored start of the same
   * appointment differs (the handler knows the stored state; the parser does not).
   */
  bookedStart?: string;
}
