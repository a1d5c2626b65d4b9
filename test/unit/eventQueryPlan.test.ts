import { planEventQuery, READ_INDEXES, type EventQuery } from '../../src/store/eventQueryPlan';

const at = new Date('2025-01-10T12:30:00Z');
/** Every filter GET /events takes, each with a value. */
const FILTERS = {
  partners: ['acme'],
  eventTypes: ['appointment.cancelled', 'appointment.no_show'],
  appointmentId: 'A12345',
  patientId: 'P8765',
  receivedFrom: at,
  receivedBefore: at,
  timestampFrom: at,
  timestampBefore: at,
} satisfies Omit<EventQuery, 'order' | 'limit'>;
type Filter = keyof typeof FILTERS;
const NAMES = Object.keys(FILTERS) as Filter[];

/** Every subset of the filters, in both orders, with and without a cursor: 2^8 x 2 x 2 queries. */
function everyQuery(): EventQuery[] {
  const queries: EventQuery[] = [];
  for (let mask = 0; mask < 1 << NAMES.length; mask++) {
    const chosen = Object.fromEntries(NAMES.filter((_, i) => mask & (1 << i)).map((name) => [name, FILTERS[name]]));
    for (const order of ['asc', 'desc'] as const) {
      for (const afterEventId of [undefined, 42]) queries.push({ ...chosen, order, limit: 10, afterEventId });
    }
  }
  return queries;
}

const EQUALITY_FIELDS: Record<string, Filter> = { partner: 'partners', event_type: 'eventTypes', appointment_id: 'appointmentId', patient_id: 'patientId' };

describe('planEventQuery', () => {
  test('when any combination of filters is asked for, then the hinted index leads with equalities the query has, then the order, then every range', () => {
    const queries = everyQuery();
    expect(queries).toHaveLength(1024);
    for (const query of queries) {
      const plan = planEventQuery(query);
      const keys = Object.keys(READ_INDEXES[plan.hint]);
      const order = keys.indexOf('event_id');
      // The leading fields are equalities this query filters on.
      for (const field of keys.slice(0, order)) expect(query[EQUALITY_FIELDS[field]!]).toBeDefined();
      // The sort is the index's next field, so no page is ever sorted in memory.
      expect(Object.keys(plan.sort)).toEqual(['event_id']);
      // Every range (and the cursor's) is a field of the index, checked on its keys.
      for (const field of ['received_at', 'timestamp', 'event_id']) if (field in plan.filter) expect(keys).toContain(field);
    }
  });

  test('when several equalities are given, then the most selective one leads', () => {
    expect(planEventQuery({ ...FILTERS, order: 'desc', limit: 1 }).hint).toBe('events_by_partner_appointment');
    expect(planEventQuery({ appointmentId: 'A1', partners: ['a', 'b'], order: 'desc', limit: 1 }).hint).toBe('events_by_appointment');
    expect(planEventQuery({ patientId: 'P1', partners: ['a'], eventTypes: ['appointment.scheduled'], order: 'desc', limit: 1 }).hint).toBe('events_by_patient');
    expect(planEventQuery({ partners: ['a'], eventTypes: ['appointment.scheduled'], order: 'desc', limit: 1 }).hint).toBe('events_by_partner');
    expect(planEventQuery({ eventTypes: ['appointment.scheduled'], order: 'desc', limit: 1 }).hint).toBe('events_by_type');
    expect(planEventQuery({ receivedFrom: at, order: 'desc', limit: 1 }).hint).toBe('events_by_id');
  });

  test('when a page follows a cursor, then it starts past the last event_id in the order asked, with no skip', () => {
    expect(planEventQuery({ order: 'desc', limit: 5, afterEventId: 42 })).toEqual({ filter: { event_id: { $lt: 42 } }, sort: { event_id: -1 }, hint: 'events_by_id', limit: 5 });
    expect(planEventQuery({ order: 'asc', limit: 5, afterEventId: 42 })).toEqual({ filter: { event_id: { $gt: 42 } }, sort: { event_id: 1 }, hint: 'events_by_id', limit: 5 });
    expect(planEventQuery({ order: 'asc', limit: 5 }).filter).toEqual({});
  });

  test('when ranges and lists are given, then they become half-open ranges and $in', () => {
    const plan = planEventQuery({ partners: ['a', 'b'], eventTypes: ['appointment.scheduled'], receivedFrom: at, timestampBefore: at, order: 'desc', limit: 1 });
    expect(plan.filter).toEqual({ partner: { $in: ['a', 'b'] }, event_type: 'appointment.scheduled', received_at: { $gte: at }, timestamp: { $lt: at } });
  });
});
