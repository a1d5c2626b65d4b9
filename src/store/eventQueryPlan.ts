import type { EventDocument } from './eventDocument';

/** What GET /events asks for, once parsed: every field optional but the order and the page size. */
export interface EventQuery {
  /** The partners whose events may be returned: the filter, narrowed to the consumer's scope. */
  partners?: readonly string[];
  /** Event types, as validated against the spec's list. */
  eventTypes?: readonly string[];
  appointmentId?: string;
  patientId?: string;
  receivedFrom?: Date;
  receivedBefore?: Date;
  timestampFrom?: Date;
  timestampBefore?: Date;
  order: 'asc' | 'desc';
  limit: number;
  /** The last event_id of the previous page: the next page starts past it (keyset, never skip). */
  afterEventId?: number;
}

type IndexKey = Partial<Record<keyof EventDocument, 1>>;

/** Fields every read index ends with: the order, then the ranges, checked on index keys alone. */
const ORDER_AND_RANGES = { event_id: 1, received_at: 1, timestamp: 1 } as const;

/**
 * The indexes that serve GET /events, one per leading equality filter, each followed by the
 * order and the ranges (equality, sort, range). The query planner below picks one by name and
 * hints it, so MongoDB never falls back to a collection scan or an in-memory sort.
 */
export const READ_INDEXES = {
  events_by_id: { ...ORDER_AND_RANGES },
  events_by_partner: { partner: 1, ...ORDER_AND_RANGES },
  events_by_partner_appointment: { partner: 1, appointment_id: 1, ...ORDER_AND_RANGES },
  events_by_appointment: { appointment_id: 1, ...ORDER_AND_RANGES },
  events_by_patient: { patient_id: 1, ...ORDER_AND_RANGES },
  events_by_type: { event_type: 1, ...ORDER_AND_RANGES },
} as const satisfies Record<string, IndexKey>;

export type ReadIndexName = keyof typeof READ_INDEXES;

export interface QueryPlan {
  filter: Record<string, unknown>;
  sort: { event_id: 1 | -1 };
  /** The index that serves the query; its leading fields are the query's most selective equality. */
  hint: ReadIndexName;
  limit: number;
}

/**
 * The most selective equality leads: an appointment (with its partner when only one is asked
 * for), then a patient, a partner, an event type; with none, the event_id order itself. Other
 * equalities and the ranges are then checked along that index.
 */
function chooseIndex(query: EventQuery): ReadIndexName {
  const onePartner = query.partners?.length === 1;
  if (query.appointmentId !== undefined) return onePartner ? 'events_by_partner_appointment' : 'events_by_appointment';
  if (query.patientId !== undefined) return 'events_by_patient';
  if (query.partners !== undefined) return 'events_by_partner';
  if (query.eventTypes !== undefined) return 'events_by_type';
  return 'events_by_id';
}

function range(from: Date | undefined, before: Date | undefined): Record<string, Date> | undefined {
  if (!from && !before) return undefined;
  return { ...(from ? { $gte: from } : {}), ...(before ? { $lt: before } : {}) };
}

/** The query GET /events sends to the database; pure, so every combination is unit-tested. */
export function planEventQuery(query: EventQuery): QueryPlan {
  const filter: Record<string, unknown> = {};
  if (query.partners) filter.partner = query.partners.length === 1 ? query.partners[0] : { $in: [...query.partners] };
  if (query.eventTypes) filter.event_type = query.eventTypes.length === 1 ? query.eventTypes[0] : { $in: [...query.eventTypes] };
  if (query.appointmentId !== undefined) filter.appointment_id = query.appointmentId;
  if (query.patientId !== undefined) filter.patient_id = query.patientId;
  const received = range(query.receivedFrom, query.receivedBefore);
  if (received) filter.received_at = received;
  const stamped = range(query.timestampFrom, query.timestampBefore);
  if (stamped) filter.timestamp = stamped;
  if (query.afterEventId !== undefined) filter.event_id = query.order === 'asc' ? { $gt: query.afterEventId } : { $lt: query.afterEventId };
  return { filter, sort: { event_id: query.order === 'asc' ? 1 : -1 }, hint: chooseIndex(query), limit: query.limit };
}
