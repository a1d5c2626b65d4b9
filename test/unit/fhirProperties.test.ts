/**
 * Properties of the FHIR reader over generated input: (a) valid Appointments and notifications
 * map to the events an independent statement of the rules expects; (b) schema-shaped junk never
 * makes it throw anything but an AppError, write to the body, or echo a value in a message.
 */
import type { Appointment, AppointmentParticipant, Bundle } from '@medplum/fhirtypes';
import fc from 'fast-check';
import { AppError } from '../../src/errors';
import { readFhirBody } from '../../src/inputs/fhirAppointment';

const BASE = 'https://fhir.example.org/r4';
const EVENT_OF = { booked: 'appointment.scheduled', cancelled: 'appointment.cancelled', 'entered-in-error': 'appointment.cancelled', fulfilled: 'appointment.completed', noshow: 'appointment.no_show' } as const;
const VOCABULARY = new Set(['resourceType', 'status', 'name', 'type']);
const STATUSES = ['proposed', 'pending', 'booked', 'arrived', 'fulfilled', 'cancelled', 'noshow', 'entered-in-error', 'checked-in', 'waitlist'];

const fhirId = fc.stringMatching(/^[A-Za-z0-9\-.]{1,64}$/);
const instant = fc
  .record({ ms: fc.integer({ min: 0, max: 4_102_444_800_000 }), offset: fc.integer({ min: -12 * 60, max: 14 * 60 }) })
  .map(({ ms, offset }) => {
    const local = new Date(ms + offset * 60_000).toISOString().slice(0, -1);
    const sign = offset < 0 ? '-' : '+';
    const abs = Math.abs(offset);
    return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  });

/** A Patient actor in one of the forms the reader accepts, and the patient id it gives. */
const patientActor = fc.oneof(
  fhirId.map((id) => ({ actor: { reference: `Patient/${id}` }, id })),
  fc.tuple(fhirId, fhirId).map(([id, v]) => ({ actor: { reference: `${BASE}/Patient/${id}/_history/${v}` }, id })),
  fc.tuple(fhirId, fc.string({ minLength: 1, maxLength: 50 })).map(([id, value]) => ({ actor: { reference: `Patient/${id}`, identifier: { value } }, id })),
  fc.string({ minLength: 1, maxLength: 50 }).map((value) => ({ actor: { type: 'Patient' as const, identifier: { value } }, id: value })),
  fc.string({ minLength: 1, maxLength: 50 }).map((value) => ({ actor: { type: 'Patient' as const, identifier: { system: 'urn:mrn', value } }, id: value })),
);
const otherActor = fc.tuple(fc.constantFrom('Practitioner', 'Location', 'PractitionerRole', 'Device'), fhirId).map(([type, id]) => ({ reference: `${type}/${id}` }));

const validAppointment = fc.record({
  id: fhirId,
  versionId: fc.option(fhirId, { nil: undefined }),
  lastUpdated: fc.option(instant, { nil: undefined }),
  status: fc.constantFrom(...(Object.keys(EVENT_OF) as (keyof typeof EVENT_OF)[])),
  start: instant,
  comment: fc.option(fc.string({ unit: 'grapheme', maxLength: 200 }), { nil: undefined }),
  before: fc.array(otherActor, { maxLength: 3 }),
  patient: patientActor,
});
type Generated = typeof validAppointment extends fc.Arbitrary<infer T> ? T : never;

function resourceOf(g: Generated): Appointment {
  const participant: AppointmentParticipant[] = [...g.before.map((actor) => ({ actor, status: 'accepted' as const })), { actor: g.patient.actor, status: 'accepted' }];
  return { resourceType: 'Appointment', id: g.id, meta: { versionId: g.versionId, lastUpdated: g.lastUpdated }, status: g.status, start: g.start, comment: g.comment, participant };
}

function expectedEvent(g: Generated, timestamp: string | undefined) {
  return { event_type: EVENT_OF[g.status], appointment_id: g.id, patient_id: g.patient.id, timestamp, notes: g.comment === undefined || g.comment === '' ? null : g.comment };
}

describe('FHIR reader properties', () => {
  test('when a valid lone Appointment is generated, then it maps to the event the rules give', () => {
    fc.assert(
      fc.property(validAppointment.filter((g) => g.lastUpdated !== undefined), (g) => {
        const [input, ...rest] = readFhirBody(resourceOf(g), {}).events;
        expect(rest).toEqual([]);
        expect(input?.event).toEqual(expectedEvent(g, g.lastUpdated));
        expect(input?.controlId).toBe(g.versionId === undefined ? undefined : `Appointment/${g.id}/_history/${g.versionId}`);
        expect(input?.bookedStart).toBe(g.status === 'booked' ? g.start : undefined);
        expect(input?.origins.patient_id).toEqual(['participant', g.before.length, 'actor']);
      }),
      { numRuns: 200 },
    );
  });

  test('when a valid notification of several appointments is generated, then each entry maps in order, keyed by version or event number', () => {
    const appointments = fc.uniqueArray(validAppointment, { minLength: 1, maxLength: 6, selector: (g) => g.id });
    const notification = fc.record({ appointments, timestamps: fc.array(instant, { minLength: 6, maxLength: 6 }), absolute: fc.boolean(), first: fc.nat(1000) });
    fc.assert(
      fc.property(notification, ({ appointments: gs, timestamps, absolute, first }) => {
        const events = gs.map((g, k) => [
          { name: 'event-number', valueString: String(first + k) },
          { name: 'timestamp', valueInstant: timestamps[k] },
          { name: 'focus', valueReference: { reference: `${absolute ? `${BASE}/` : ''}Appointment/${g.id}` } },
        ]);
        const parameter = [{ name: 'subscription', valueReference: { reference: 'Subscription/feed' } }, { name: 'type', valueCode: 'event-notification' }, ...events.map((part) => ({ name: 'notification-event', part }))];
        // Entries in reverse order: pairing goes by focus, not by position.
        const entry = [{ resource: { resourceType: 'Parameters' as const, parameter } }, ...gs.map((g) => ({ fullUrl: `${BASE}/Appointment/${g.id}`, resource: resourceOf(g) })).reverse()];
        const reading = readFhirBody({ resourceType: 'Bundle', type: 'history', entry }, {});
        const wanted = gs
          .map((g, k) => ({
            event: expectedEvent(g, g.lastUpdated ?? timestamps[k]),
            controlId: g.versionId === undefined ? `Subscription/feed#${first + k}` : `Appointment/${g.id}/_history/${g.versionId}`,
          }))
          .reverse();
        expect(reading.events.map(({ event, controlId }) => ({ event, controlId }))).toEqual(wanted);
      }),
      { numRuns: 150 },
    );
  });

  test('when schema-shaped junk is read, then the outcome is a reading or an AppError whose messages hold no submitted value', () => {
    const junk = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom('Patient/x', `${BASE}/Patient/y/_history/`, 'Appointment/a', '#p'));
    const reference = fc.record({ reference: junk, type: junk, identifier: fc.oneof(junk, fc.record({ value: junk })) }, { requiredKeys: [] });
    const appointment = fc.record(
      {
        resourceType: fc.constant('Appointment'),
        id: junk,
        meta: fc.oneof(junk, fc.record({ versionId: junk, lastUpdated: junk }, { requiredKeys: [] })),
        identifier: fc.oneof(junk, fc.array(fc.record({ system: junk, value: junk }, { requiredKeys: [] }), { maxLength: 3 })),
        status: fc.oneof(fc.constantFrom(...STATUSES), junk),
        start: junk,
        comment: junk,
        participant: fc.oneof(junk, fc.array(fc.oneof(junk, fc.record({ actor: fc.oneof(junk, reference) }, { requiredKeys: [] })), { maxLength: 4 })),
      },
      { requiredKeys: ['resourceType', 'status', 'participant'] },
    );
    const part = fc.record({ name: fc.constantFrom('event-number', 'timestamp', 'focus', 'other'), valueString: junk, valueInteger: junk, valueInstant: junk, valueReference: fc.oneof(junk, reference) }, { requiredKeys: ['name'] });
    const parameters = fc.record({
      resourceType: fc.constant('Parameters'),
      parameter: fc.array(fc.record({ name: fc.constantFrom('type', 'subscription', 'notification-event'), valueCode: junk, valueReference: fc.oneof(junk, reference), part: fc.oneof(junk, fc.array(part, { maxLength: 3 })) }, { requiredKeys: ['name'] }), { maxLength: 4 }),
    });
    const subscriptionStatus = fc.record({ resourceType: fc.constant('SubscriptionStatus'), type: junk, subscription: fc.oneof(junk, reference), notificationEvent: fc.oneof(junk, fc.array(fc.record({ eventNumber: junk, timestamp: junk, focus: fc.oneof(junk, reference) }, { requiredKeys: [] }), { maxLength: 3 })) }, { requiredKeys: ['resourceType'] });
    const entry = fc.record({ fullUrl: junk, resource: fc.oneof(appointment, parameters, subscriptionStatus, junk) }, { requiredKeys: [] });
    const bundle = fc.record({ resourceType: fc.constant('Bundle'), type: fc.constant('history'), entry: fc.array(fc.oneof(entry, junk), { maxLength: 5 }) });
    const options = fc.record({ identifierSystem: fc.option(fc.oneof(fc.constant('urn:a'), fc.string()), { nil: undefined }) });

    fc.assert(
      fc.property(fc.oneof(appointment, bundle), options, (body, opts) => {
        const values = new Set<string>();
        const snapshot = JSON.stringify(body, (key, value: unknown) => {
          // Values, not the format's vocabulary (a message may name a resource type or a permitted status).
          if (typeof value === 'string' && value.trim().length >= 10 && !VOCABULARY.has(key)) values.add(value);
          return value;
        });
        try {
          const reading = readFhirBody(body as Appointment | Bundle, opts);
          for (const input of reading.events) expect(input.format).toBe('fhir');
        } catch (err) {
          expect(err).toBeInstanceOf(AppError);
          const error = err as AppError;
          expect(error.code).toBe('invalid_payload');
          expect(error.details.length).toBeGreaterThan(0);
          for (const { loc, msg } of error.details) {
            expect(loc[0]).toBe('body');
            for (const value of values) expect(msg).not.toContain(value);
          }
        }
        expect(JSON.stringify(body)).toBe(snapshot);
      }),
      { numRuns: 300 },
    );
  });
});
