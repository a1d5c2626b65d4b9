import type { Appointment, Bundle } from '@medplum/fhirtypes';
import { AppError } from '../../src/errors';
import { readFhirBody } from '../../src/inputs/fhirAppointment';
import { referenceTarget } from '../../src/inputs/fhirNotification';

const UPDATED = '2026-11-20T14:05:12.481-05:00';

function appointment(overrides: Partial<Appointment> = {}): Appointment {
  return {
    resourceType: 'Appointment',
    id: 'apt-1',
    meta: { versionId: '3', lastUpdated: UPDATED },
    status: 'cancelled',
    start: '2026-12-01T08:30:00-05:00',
    participant: [
      { actor: { reference: 'Practitioner/pr-1' }, status: 'accepted' },
      { actor: { reference: 'Patient/pt-9' }, status: 'accepted' },
    ],
    ...overrides,
  };
}

function backport(events: { number?: string | number; timestamp?: string; focus?: string }[], resources: Appointment[], type = 'event-notification'): Bundle {
  const parameter = [
    { name: 'subscription', valueReference: { reference: 'Subscription/s1' } },
    { name: 'type', valueCode: type },
    ...events.map((e) => ({
      name: 'notification-event',
      part: [
        typeof e.number === 'number' ? { name: 'event-number', valueUnsignedInt: e.number } : { name: 'event-number', valueString: e.number },
        { name: 'timestamp', valueInstant: e.timestamp },
        { name: 'focus', valueReference: { reference: e.focus } },
      ],
    })),
  ];
  return { resourceType: 'Bundle', type: 'history', entry: [{ resource: { resourceType: 'Parameters', parameter } }, ...resources.map((resource) => ({ resource }))] };
}

function refusal(run: () => unknown): AppError {
  try {
    run();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

describe('readFhirBody, a lone Appointment', () => {
  test.each([
    ['booked', 'appointment.scheduled'],
    ['cancelled', 'appointment.cancelled'],
    ['entered-in-error', 'appointment.cancelled'],
    ['fulfilled', 'appointment.completed'],
    ['noshow', 'appointment.no_show'],
  ] as const)('when the status is %s, then the event is %s', (status, eventType) => {
    const [input] = readFhirBody(appointment({ status }), {}).events;
    expect(input?.event.event_type).toBe(eventType);
    expect(input?.bookedStart).toBe(status === 'booked' ? '2026-12-01T08:30:00-05:00' : undefined);
  });

  test.each(['proposed', 'pending', 'waitlist', 'arrived', 'checked-in'] as const)('when the status is %s, then no event is read and the status is reported as ignored', (status) => {
    expect(readFhirBody(appointment({ status }), {})).toEqual({ events: [], ignored: [{ loc: ['status'], status }] });
  });

  test('when an Appointment maps, then each field names where it came from and the version is the key', () => {
    const [input] = readFhirBody(appointment({ comment: 'Bring the referral letter.' }), {}).events;
    expect(input).toEqual({
      event: { event_type: 'appointment.cancelled', appointment_id: 'apt-1', patient_id: 'pt-9', timestamp: UPDATED, notes: 'Bring the referral letter.' },
      origins: { event_type: ['status'], appointment_id: ['id'], patient_id: ['participant', 1, 'actor'], timestamp: ['meta', 'lastUpdated'], notes: ['comment'] },
      controlId: 'Appointment/apt-1/_history/3',
      format: 'fhir',
    });
  });

  test('when an identifier system is configured, then the first identifier of that system with a value is the appointment id', () => {
    const identifier = [{ system: 'urn:a' }, { system: 'urn:b', value: 'B-1' }, { system: 'urn:a', value: 'A-2' }, { system: 'urn:a', value: 'A-3' }];
    const [input] = readFhirBody(appointment({ identifier }), { identifierSystem: 'urn:a' }).events;
    expect(input?.event.appointment_id).toBe('A-2');
    expect(input?.origins.appointment_id).toEqual(['identifier', 2, 'value']);
  });

  test('when the configured system is absent, then the item names the identifier without echoing the system', () => {
    const error = refusal(() => readFhirBody(appointment({ identifier: [{ system: 'urn:b', value: 'B-1' }] }), { identifierSystem: 'urn:secret-system' }));
    expect(error.details).toEqual([{ loc: ['body', 'identifier'], msg: expect.any(String), type: 'value_error.missing' }]);
    expect(error.details[0]?.msg).not.toContain('urn:secret-system');
  });

  test.each([
    [{ reference: 'Patient/p1' }, 'p1'],
    [{ reference: 'https://fhir.example.org/r4/Patient/p2' }, 'p2'],
    [{ reference: 'https://fhir.example.org/r4/Patient/p3/_history/7' }, 'p3'],
    [{ reference: 'Patient/p4', identifier: { value: 'MRN-4' } }, 'p4'],
    [{ type: 'Patient' as const, identifier: { system: 'urn:mrn', value: 'MRN-5' } }, 'MRN-5'],
  ])('when the patient actor is %j, then the patient id is %s', (actor, patientId) => {
    const participant = [{ actor: { reference: 'Location/l1' }, status: 'accepted' as const }, { actor, status: 'accepted' as const }];
    const [input] = readFhirBody(appointment({ participant }), {}).events;
    expect(input?.event.patient_id).toBe(patientId);
    expect(input?.origins.patient_id).toEqual(['participant', 1, 'actor']);
  });

  test.each(['#contained-patient', 'Patient?identifier=urn:mrn|1', 'Patient/', 'PractitionerPatient/x', 'urn:uuid:5e1f', 'Practitioner/1/Patient/P9', 'http://ehr.example/fhir/Patient/P1?x=1', 'Patient/P1#frag'])('when a reference is %s, then it names no Patient id', (reference) => {
    expect(referenceTarget(reference, 'Patient')).toBeUndefined();
  });

  test('when the Patient actor gives no id at all, then the item points at that actor', () => {
    const participant = [{ actor: { type: 'Patient' as const, display: 'A. Person' }, status: 'accepted' as const }];
    const error = refusal(() => readFhirBody(appointment({ participant }), {}));
    expect(error.details.map((d) => d.loc)).toEqual([['body', 'participant', 0, 'actor']]);
  });

  test('when several fields are missing, then each gets one item and the lone Appointment needs no version', () => {
    const error = refusal(() => readFhirBody(appointment({ id: undefined, meta: {}, status: 'booked', start: undefined, participant: [{ status: 'accepted' }] }), {}));
    expect(error.code).toBe('invalid_payload');
    expect(error.details.map((d) => d.loc)).toEqual([['body', 'id'], ['body', 'participant'], ['body', 'meta', 'lastUpdated'], ['body', 'start']]);
  });

  test('when a lone Appointment has no version, then it has no key of its own', () => {
    expect(readFhirBody(appointment({ meta: { lastUpdated: UPDATED } }), {}).events[0]?.controlId).toBeUndefined();
  });

  test('when the status or resource type is outside the schema, then it is refused as an enumeration, never a crash', () => {
    const odd = refusal(() => readFhirBody({ ...appointment(), status: 'tentative' } as unknown as Appointment, {}));
    expect(odd.details[0]).toMatchObject({ loc: ['body', 'status'], type: 'type_error.enum', ctx: { enum_values: expect.arrayContaining(['booked', 'noshow']) } });
    const other = refusal(() => readFhirBody({ resourceType: 'Patient' } as unknown as Appointment, {}));
    expect(other.details[0]).toMatchObject({ loc: ['body', 'resourceType'], type: 'type_error.enum' });
  });
});

describe('readFhirBody, a notification', () => {
  test('when an entry has no lastUpdated and no version, then the focusing event gives the timestamp (with its location) and the key', () => {
    const reading = readFhirBody(backport([{ number: '12', timestamp: '2026-11-20T10:00:00Z', focus: 'Appointment/apt-1' }], [appointment({ meta: {} })]), {});
    expect(reading.notificationType).toBe('event-notification');
    expect(reading.events[0]).toMatchObject({ controlId: 'Subscription/s1#12', event: { timestamp: '2026-11-20T10:00:00Z' } });
    expect(reading.events[0]?.origins.timestamp).toEqual(['entry', 0, 'resource', 'parameter', 2, 'part', 1, 'valueInstant']);
    expect(reading.events[0]?.origins.appointment_id).toEqual(['entry', 1, 'resource', 'id']);
  });

  test('when an R4B SubscriptionStatus heads the bundle, then its events are read the same way', () => {
    const status = { resourceType: 'SubscriptionStatus', type: 'query-event', subscription: { reference: 'Subscription/r4b' }, notificationEvent: [{ eventNumber: '5', timestamp: '2026-11-20T11:00:00+01:00', focus: { reference: 'https://x.example/fhir/Appointment/apt-1/_history/9' } }] };
    const bundle = { resourceType: 'Bundle', type: 'history', entry: [{ resource: status }, { resource: appointment({ meta: { versionId: '9' } }) }] } as unknown as Bundle;
    const [input] = readFhirBody(bundle, {}).events;
    expect(input?.event.timestamp).toBe('2026-11-20T11:00:00+01:00');
    expect(input?.origins.timestamp).toEqual(['entry', 0, 'resource', 'notificationEvent', 0, 'timestamp']);
    expect(input?.controlId).toBe('Appointment/apt-1/_history/9');
  });

  test('when two entries of one appointment are focused by two events, then each takes its own event in order', () => {
    const events = [{ number: 7, timestamp: '2026-11-20T10:00:00Z', focus: 'Appointment/apt-1' }, { number: 8, timestamp: '2026-11-20T10:05:00Z', focus: 'Appointment/apt-1' }];
    const reading = readFhirBody(backport(events, [appointment({ meta: {} }), appointment({ meta: {}, status: 'noshow' })]), {});
    expect(reading.events.map((e) => [e.controlId, e.event.timestamp])).toEqual([['Subscription/s1#7', '2026-11-20T10:00:00Z'], ['Subscription/s1#8', '2026-11-20T10:05:00Z']]);
  });

  test('when the same version arrives twice with the same content, then one event is kept; with other content, the second entry is refused', () => {
    expect(readFhirBody(backport([], [appointment(), appointment()]), {}).events).toHaveLength(1);
    const error = refusal(() => readFhirBody(backport([], [appointment(), appointment({ comment: 'changed' })]), {}));
    expect(error.details).toEqual([{ loc: ['body', 'entry', 2], msg: expect.any(String), type: 'value_error.fhir.duplicate_entry' }]);
  });

  test('when the subscription reference is missing, then the event number cannot key an unversioned entry', () => {
    const bundle = backport([{ number: '1', timestamp: UPDATED, focus: 'Appointment/apt-1' }], [appointment({ meta: { lastUpdated: UPDATED } })]);
    const parameters = bundle.entry?.[0]?.resource as { parameter: unknown[] };
    parameters.parameter.shift();
    expect(refusal(() => readFhirBody(bundle, {})).details.map((d) => d.loc)).toEqual([['body', 'entry', 1, 'resource', 'meta', 'versionId']]);
  });

  test.each(['handshake', 'heartbeat'])('when a %s carries no Appointment, then no event is read and the type is reported', (type) => {
    expect(readFhirBody(backport([], [], type), {})).toEqual({ events: [], ignored: [], notificationType: type });
  });

  test('when an event notification carries no Appointment, then nothing is read and nothing refused, so the subscription stays healthy', () => {
    expect(readFhirBody(backport([], []), {})).toEqual({ events: [], ignored: [], notificationType: 'event-notification' });
  });

  test('when the body is frozen, then it is read all the same: the reader never writes to it', () => {
    const bundle = backport([{ number: '3', timestamp: UPDATED, focus: 'Appointment/apt-1' }], [appointment({ meta: {} })]);
    const frozen = structuredClone(bundle);
    const freeze = (value: unknown): void => {
      if (typeof value === 'object' && value !== null) for (const child of Object.values(Object.freeze(value))) freeze(child);
    };
    freeze(frozen);
    expect(readFhirBody(frozen, {})).toEqual(readFhirBody(bundle, {}));
  });
});
