// Over 200 lines: one example per rule and per flag, then the properties over shuffled event sets.
import fc from 'fast-check';
import { appointmentState, type EventType, type StateInput } from '../../src/appointments/state';

const SCHEDULED = 'appointment.scheduled';
const RESCHEDULED = 'appointment.rescheduled';
const NO_SHOW = 'appointment.no_show';
const COMPLETED = 'appointment.completed';
const CANCELLED = 'appointment.cancelled';

/** An event with the given id, type and timestamp; received a minute per id after a fixed start, so arrival follows event_id. */
function ev(event_id: number, event_type: EventType, timestamp: string, more: Partial<StateInput> = {}): StateInput {
  const received_at = new Date(Date.UTC(2025, 1, 1) + event_id * 60_000).toISOString();
  return { event_id, event_type, patient_id: 'pat-1', timestamp, received_at, notes: null, ...more };
}
const state = (...events: StateInput[]) => appointmentState('acme', 'apt-1', events);
const ids = (events: readonly { event_id: number }[]) => events.map((e) => e.event_id);

describe('history order', () => {
  test('when events arrive out of timestamp order, then history follows the timestamps, not the event_ids', () => {
    const s = state(ev(1, RESCHEDULED, '2025-01-12T09:00:00Z'), ev(2, SCHEDULED, '2025-01-10T09:00:00Z'), ev(3, COMPLETED, '2025-01-13T09:00:00Z'));
    expect(ids(s.history)).toEqual([2, 1, 3]);
  });

  test('when +02:00 and Z name the same instant, then they tie and the lifecycle rank orders them, whatever the wall-clock text says', () => {
    // 13:30+02:00 is 11:30Z: read as text it would sort after 12:00Z.
    const s = state(ev(1, CANCELLED, '2025-01-10T13:30:00+02:00'), ev(2, SCHEDULED, '2025-01-10T11:30:00Z'), ev(3, RESCHEDULED, '2025-01-10T12:00:00Z'));
    expect(ids(s.history)).toEqual([2, 1, 3]);
  });

  test('when fractions differ only in trailing zeros (.5 and .500), then they tie and the lifecycle rank orders them', () => {
    const s = state(ev(1, COMPLETED, '2025-01-10T12:30:00.5Z'), ev(2, SCHEDULED, '2025-01-10T12:30:00.500Z'));
    expect(ids(s.history)).toEqual([2, 1]);
    expect(s.flags.map((f) => f.type)).toEqual(['same_timestamp']);
  });

  test('when fractions differ beyond the millisecond, then the finer digits decide', () => {
    const s = state(
      ev(1, SCHEDULED, '2025-01-10T12:30:00.12345Z'),
      ev(2, SCHEDULED, '2025-01-10T12:30:00.1234Z'),
      ev(3, SCHEDULED, '2025-01-10T12:30:00.5Z'),
      ev(4, SCHEDULED, '2025-01-10T12:30:00.49999Z'),
    );
    expect(ids(s.history)).toEqual([2, 1, 4, 3]);
  });

  test('when the whole seconds gain a digit (999999999 to 1000000000), then they are compared as numbers, not as text', () => {
    const s = state(ev(1, SCHEDULED, '2001-09-09T01:46:40Z'), ev(2, SCHEDULED, '2001-09-09T01:46:39.9Z'));
    expect(ids(s.history)).toEqual([2, 1]);
  });

  test('when an instant before 1970 has a fraction, then it sorts between the seconds around it', () => {
    const s = state(ev(1, SCHEDULED, '1970-01-01T00:00:00Z'), ev(2, SCHEDULED, '1969-12-31T23:59:59.5Z'), ev(3, SCHEDULED, '1969-12-31T23:59:59Z'));
    expect(ids(s.history)).toEqual([3, 2, 1]);
  });

  test('when all five types share one instant and arrive in reverse, then history runs scheduled, rescheduled, no_show, completed, cancelled', () => {
    const at = '2025-01-10T12:30:00Z';
    const s = state(ev(1, CANCELLED, at), ev(2, COMPLETED, at), ev(3, NO_SHOW, at), ev(4, RESCHEDULED, at), ev(5, SCHEDULED, at));
    expect(s.history.map((e) => e.event_type)).toEqual([SCHEDULED, RESCHEDULED, NO_SHOW, COMPLETED, CANCELLED]);
    expect(s.status).toBe('cancelled');
  });

  test('when two events of one type share an instant, then the smaller event_id comes first', () => {
    const s = state(ev(9, RESCHEDULED, '2025-01-10T12:30:00Z'), ev(4, RESCHEDULED, '2025-01-10T14:30:00+02:00'));
    expect(ids(s.history)).toEqual([4, 9]);
  });
});

describe('status, patient and counts', () => {
  test.each([
    [SCHEDULED, 'scheduled'],
    [RESCHEDULED, 'scheduled'],
    [CANCELLED, 'cancelled'],
    [COMPLETED, 'completed'],
    [NO_SHOW, 'no_show'],
  ] as const)('when the last event in history is %s, then the status is %s', (type, status) => {
    // A later-arriving event stamped earlier must not decide the status.
    const s = state(ev(1, type, '2025-01-10T12:00:00Z'), ev(2, type === SCHEDULED ? CANCELLED : SCHEDULED, '2025-01-09T12:00:00Z'));
    expect(s.status).toBe(status);
  });

  test('when an appointment is rescheduled twice among other events, then reschedule_count is 2 and event_count counts every event', () => {
    const s = state(
      ev(1, SCHEDULED, '2025-01-01T00:00:00Z'),
      ev(2, RESCHEDULED, '2025-01-02T00:00:00Z'),
      ev(3, RESCHEDULED, '2025-01-03T00:00:00Z'),
      ev(4, NO_SHOW, '2025-01-04T00:00:00Z'),
      ev(5, COMPLETED, '2025-01-05T00:00:00Z'),
    );
    expect(s).toMatchObject({ reschedule_count: 2, event_count: 5, status: 'completed' });
  });

  test('when the last event in history is stamped with an offset and a fraction, then last_changed_at is its timestamp exactly as sent', () => {
    const s = state(ev(1, SCHEDULED, '2025-01-10T09:00:00Z'), ev(2, COMPLETED, '2025-01-10T14:30:00.500+02:00'));
    expect(s.last_changed_at).toBe('2025-01-10T14:30:00.500+02:00');
  });

  test('when events name two patients, then patient_id is the patient of the last event in history, not of the last to arrive', () => {
    const s = state(ev(1, RESCHEDULED, '2025-01-12T00:00:00Z', { patient_id: 'pat-B' }), ev(2, SCHEDULED, '2025-01-10T00:00:00Z', { patient_id: 'pat-A' }));
    expect(s.patient_id).toBe('pat-B');
  });

  test('when the state is built, then partner and appointment_id are the ones asked for and history items carry exactly the input fields', () => {
    const stored = { ...ev(1, SCHEDULED, '2025-01-10T12:30:00+01:00', { notes: 'Room 4' }), _id: 'internal' } as StateInput;
    const s = appointmentState('acme', 'apt-77', [stored]);
    expect(s).toMatchObject({ partner: 'acme', appointment_id: 'apt-77', event_count: 1 });
    expect(s.history).toStrictEqual([
      { event_id: 1, event_type: SCHEDULED, patient_id: 'pat-1', timestamp: '2025-01-10T12:30:00+01:00', received_at: stored.received_at, notes: 'Room 4' },
    ]);
  });

  test('when there are no events, then it throws a plain Error (the caller answers 404 first)', () => {
    expect(() => appointmentState('acme', 'apt-1', [])).toThrow(Error);
    expect(() => appointmentState('acme', 'apt-1', [])).toThrow(/no events/);
  });

  test('when two events carry one event_id, then it throws, since arrival order would be ambiguous', () => {
    expect(() => state(ev(3, SCHEDULED, '2025-01-10T12:30:00Z'), ev(3, COMPLETED, '2025-01-11T12:30:00Z'))).toThrow(/event_id 3 appears twice/);
  });
});

describe('flags', () => {
  test('when the partner guide case happens (booking at 2025-01-10T12:30:00Z, its cancellation stamped 2025-01-09T08:15:00Z arriving after it), then the status is scheduled and the late arrival is flagged', () => {
    const booking = ev(1, SCHEDULED, '2025-01-10T12:30:00Z');
    const cancellation = ev(2, CANCELLED, '2025-01-09T08:15:00Z');
    const s = state(booking, cancellation);
    expect(s.status).toBe('scheduled');
    expect(ids(s.history)).toEqual([2, 1]);
    expect(s.last_changed_at).toBe('2025-01-10T12:30:00Z');
    // In timestamp order the booking follows the cancellation, so it is also a change after a final event.
    expect(s.flags.map((f) => [f.type, f.event_ids])).toEqual([
      ['change_after_final', [2, 1]],
      ['arrival_order_differs', [2, 1]],
    ]);
    const arrival = s.flags[1]!.detail;
    for (const part of [booking.timestamp, cancellation.timestamp, booking.received_at, cancellation.received_at]) expect(arrival).toContain(part);
  });

  test('when events follow a completion in history, then each is flagged against the first final event, and the status follows the last', () => {
    const s = state(
      ev(1, SCHEDULED, '2025-01-01T00:00:00Z'),
      ev(2, COMPLETED, '2025-01-02T00:00:00Z'),
      ev(4, CANCELLED, '2025-01-03T00:00:00Z'),
      ev(3, RESCHEDULED, '2025-01-04T00:00:00Z'),
    );
    expect(s.status).toBe('scheduled');
    // Ordered by event_ids, not by history position; event 4 also arrived after event 3, stamped later.
    expect(s.flags.map((f) => [f.type, f.event_ids])).toEqual([
      ['change_after_final', [2, 3]],
      ['change_after_final', [2, 4]],
      ['arrival_order_differs', [4, 3]],
    ]);
  });

  test('when the final event is the last in history, or there is none, then nothing is flagged', () => {
    expect(state(ev(1, SCHEDULED, '2025-01-01T00:00:00Z'), ev(2, CANCELLED, '2025-01-02T00:00:00Z')).flags).toEqual([]);
    expect(state(ev(1, SCHEDULED, '2025-01-01T00:00:00Z'), ev(2, NO_SHOW, '2025-01-02T00:00:00Z')).flags).toEqual([]);
  });

  test('when events name more than one patient, then one patient_changed flag lists the events not naming the state patient, sorted', () => {
    const s = state(
      ev(5, SCHEDULED, '2025-01-01T00:00:00Z', { patient_id: 'pat-A' }),
      ev(2, RESCHEDULED, '2025-01-02T00:00:00Z', { patient_id: 'pat-C' }),
      ev(7, RESCHEDULED, '2025-01-03T00:00:00Z', { patient_id: 'pat-A' }),
      ev(9, COMPLETED, '2025-01-04T00:00:00Z', { patient_id: 'pat-B' }),
    );
    expect(s.patient_id).toBe('pat-B');
    expect(s.flags.filter((f) => f.type === 'patient_changed').map((f) => f.event_ids)).toEqual([[2, 5, 7]]);
  });

  test('when events at one instant have different types, then one same_timestamp flag per instant lists them, and equal types alone are not flagged', () => {
    const s = state(
      ev(4, COMPLETED, '2025-01-12T12:30:00Z'),
      ev(1, SCHEDULED, '2025-01-12T13:30:00+01:00'),
      ev(2, RESCHEDULED, '2025-01-11T00:00:00Z'),
      ev(3, RESCHEDULED, '2025-01-11T00:00:00.000Z'),
      ev(6, NO_SHOW, '2025-01-10T00:00:00.5Z'),
      ev(5, COMPLETED, '2025-01-10T00:00:00.50Z'),
    );
    const ties = s.flags.filter((f) => f.type === 'same_timestamp');
    // Ordered by event_ids, not by instant.
    expect(ties.map((f) => f.event_ids)).toEqual([
      [1, 4],
      [5, 6],
    ]);
    expect(ties[0]!.detail).toMatch(/scheduled, rescheduled, no_show, completed, cancelled, then by event_id/);
  });

  test('when several events arrived before a late one, then the flag names the latest-stamped of them, one flag per late arrival', () => {
    const s = state(
      ev(1, SCHEDULED, '2025-01-10T00:00:00Z'),
      ev(2, RESCHEDULED, '2025-01-14T00:00:00Z'),
      ev(3, RESCHEDULED, '2025-01-12T00:00:00Z'),
      ev(4, RESCHEDULED, '2025-01-13T00:00:00Z'),
      ev(5, RESCHEDULED, '2025-01-14T02:00:00+02:00'),
    );
    // Event 5 names the same instant as event 2: not stamped earlier, so not late.
    expect(s.flags.map((f) => [f.type, f.event_ids])).toEqual([
      ['arrival_order_differs', [3, 2]],
      ['arrival_order_differs', [4, 2]],
    ]);
  });

  test('when every kind of flag is raised, then flags are ordered by type as listed, then by event_ids, and no detail carries patient data or notes', () => {
    const events = [
      ev(1, SCHEDULED, '2025-01-10T00:00:00Z', { patient_id: 'PATIENT-SECRET-1', notes: 'NOTE-SECRET' }),
      ev(2, CANCELLED, '2025-01-11T00:00:00Z', { patient_id: 'PATIENT-SECRET-2', notes: 'NOTE-SECRET' }),
      ev(3, RESCHEDULED, '2025-01-11T00:00:00Z', { patient_id: 'PATIENT-SECRET-2' }),
      ev(4, RESCHEDULED, '2025-01-10T12:00:00Z', { patient_id: 'PATIENT-SECRET-2' }),
      ev(5, SCHEDULED, '2025-01-12T00:00:00Z', { patient_id: 'PATIENT-SECRET-2' }),
    ];
    const s = state(...events.reverse());
    expect(s.flags.map((f) => [f.type, f.event_ids])).toEqual([
      ['change_after_final', [2, 5]],
      ['patient_changed', [1]],
      ['same_timestamp', [2, 3]],
      ['arrival_order_differs', [4, 2]],
    ]);
    for (const { detail } of s.flags) expect(detail).not.toMatch(/SECRET/);
  });
});

// Properties: a small pool of instants written in many ways, so ties, offsets and fractions recur.
const BASE_MS = 999_999_998_000; // 2001-09-09T01:46:38Z: the seconds gain a digit two seconds later
const FRACTIONS: readonly (readonly [string, number])[] = [['', 0], ['.000', 0], ['.5', 500_000], ['.500', 500_000], ['.25', 250_000], ['.0005', 500], ['.999999', 999_999]];
const ZONES: readonly (readonly [string, number])[] = [['Z', 0], ['+00:00', 0], ['+02:00', 120], ['-05:30', -330], ['+05:45', 345]];
const TYPES: readonly EventType[] = [SCHEDULED, RESCHEDULED, NO_SHOW, COMPLETED, CANCELLED];
const STATUS_OF: Record<EventType, string> = { [SCHEDULED]: 'scheduled', [RESCHEDULED]: 'scheduled', [NO_SHOW]: 'no_show', [COMPLETED]: 'completed', [CANCELLED]: 'cancelled' };

/** Events with unique ids, and each one's instant in microseconds, worked out apart from the code under test. */
const eventSets = fc
  .uniqueArray(
    fc.record({
      id: fc.integer({ min: 1, max: 10_000 }),
      type: fc.constantFrom(...TYPES),
      second: fc.integer({ min: 0, max: 3 }),
      fraction: fc.constantFrom(...FRACTIONS),
      zone: fc.constantFrom(...ZONES),
      patient: fc.constantFrom('pat-1', 'pat-2'),
      notes: fc.option(fc.constantFrom('a', 'b'), { nil: null }),
    }),
    { selector: (e) => e.id, minLength: 1, maxLength: 12 },
  )
  .map((drawn) => {
    const instants = new Map<number, number>();
    const events = drawn.map((d): StateInput => {
      const utcMs = BASE_MS + d.second * 1000;
      instants.set(d.id, utcMs * 1000 + d.fraction[1]);
      const wallClock = new Date(utcMs + d.zone[1] * 60_000).toISOString().slice(0, 19);
      const received_at = new Date(BASE_MS + d.id * 1000).toISOString();
      return { event_id: d.id, event_type: d.type, patient_id: d.patient, timestamp: wallClock + d.fraction[0] + d.zone[0], received_at, notes: d.notes };
    });
    return { events, instants };
  });
const SEED = 20250110;

describe('properties over any set of events', () => {
  test('when the same events come in any other order, then the state is deep-equal', () => {
    const shuffled = eventSets.chain(({ events }) => fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length })));
    fc.assert(
      fc.property(shuffled, ([events, reordered]) => {
        expect(appointmentState('acme', 'apt-1', reordered)).toEqual(appointmentState('acme', 'apt-1', events));
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  test('when the state is built, then history is sorted by instant, every event is in it exactly once, and status, patient and last_changed_at follow its last item', () => {
    fc.assert(
      fc.property(eventSets, ({ events, instants }) => {
        const s = appointmentState('acme', 'apt-1', events);
        const order = s.history.map((e) => instants.get(e.event_id)!);
        expect(order).toEqual([...order].sort((a, b) => a - b));
        expect(s.event_count).toBe(events.length);
        expect([...s.history].sort((a, b) => a.event_id - b.event_id)).toEqual([...events].sort((a, b) => a.event_id - b.event_id));
        expect(s.reschedule_count).toBe(events.filter((e) => e.event_type === RESCHEDULED).length);
        const last = s.history.at(-1)!;
        expect(s).toMatchObject({ status: STATUS_OF[last.event_type], patient_id: last.patient_id, last_changed_at: last.timestamp });
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  test('when an event arrived after one stamped later, then it and only it gets an arrival_order_differs flag naming a latest-stamped earlier arrival', () => {
    fc.assert(
      fc.property(eventSets, ({ events, instants }) => {
        const at = (id: number) => instants.get(id)!;
        const flags = appointmentState('acme', 'apt-1', events).flags.filter((f) => f.type === 'arrival_order_differs');
        const late = events.filter((e) => events.some((d) => d.event_id < e.event_id && at(d.event_id) > at(e.event_id))).map((e) => e.event_id);
        expect(flags.map((f) => f.event_ids[0])).toEqual(late.sort((a, b) => a - b));
        for (const { event_ids: [lateId, earlierId] } of flags) {
          const before = events.filter((d) => d.event_id < lateId!).map((d) => at(d.event_id));
          expect(earlierId! < lateId! && at(earlierId!) === Math.max(...before)).toBe(true);
        }
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  test('when events share an instant with different types, then exactly those events are in same_timestamp flags', () => {
    fc.assert(
      fc.property(eventSets, ({ events, instants }) => {
        const flagged = appointmentState('acme', 'apt-1', events)
          .flags.filter((f) => f.type === 'same_timestamp')
          .flatMap((f) => f.event_ids);
        const typesAt = (instant: number) => new Set(events.filter((e) => instants.get(e.event_id) === instant).map((e) => e.event_type));
        const expected = events.filter((e) => typesAt(instants.get(e.event_id)!).size > 1).map((e) => e.event_id);
        expect(flagged.sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});
