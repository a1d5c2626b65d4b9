import type { components } from '../../generated/openapi';

type AppointmentEvent = components['schemas']['AppointmentEvent'];

let built = 0;

/**
 * A valid event; tests change only what they are about. Each has its own appointment_id, so two
 * built events are two events (an identical payload from one partner would be a repeat).
 */
export function anEvent(overrides: Partial<Record<keyof AppointmentEvent, unknown>> & Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_type: 'appointment.scheduled',
    appointment_id: `A${process.pid}-${++built}`,
    patient_id: 'P8765',
    timestamp: '2025-01-10T12:30:00Z',
    notes: 'Annual physical',
    ...overrides,
  };
}

/** The event without the named fields. */
export function without(event: Record<string, unknown>, ...fields: string[]): Record<string, unknown> {
  const copy = { ...event };
  for (const field of fields) delete copy[field];
  return copy;
}

/** A string of `n` code points (each a two-unit emoji when `emoji` is set). */
export function codePoints(n: number, emoji = false): string {
  return (emoji ? '🩺' : 'x').repeat(n);
}
