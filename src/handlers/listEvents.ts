import { AppError } from '../errors';
import type { Handler } from '../http/context';
import { decodeEventsCursor, encodeEventsCursor } from '../store/cursors';
import type { EventQuery } from '../store/eventQueryPlan';
import type { EventReads } from '../store/eventReads';
import { instantOf } from '../timestamp';
import { consumerOf, list, partnersToRead, single } from './readScope';

export interface ReadDeps {
  reads: EventReads;
}

const instant = (text: string | undefined) => (text === undefined ? undefined : instantOf(text));

/** GET /events: one page of the events matching the filters, through the index they pick. */
export function listEvents({ reads }: ReadDeps): Handler<'listEvents'> {
  return async (ctx) => {
    const consumer = consumerOf(ctx);
    const q = ctx.query;
    const order = single(q.order) === 'asc' ? 'asc' : 'desc';
    const filters = {
      partner: single(q.partner),
      event_type: list(q.event_type),
      appointment_id: single(q.appointment_id),
      patient_id: single(q.patient_id),
      received_from: single(q.received_from),
      received_before: single(q.received_before),
      timestamp_from: single(q.timestamp_from),
      timestamp_before: single(q.timestamp_before),
      order,
    };
    // Validation let through only cursors of the published form, and each is a position.
    const cursorText = single(q.cursor);
    const cursor = cursorText === undefined ? undefined : decodeEventsCursor(cursorText);
    if (cursorText !== undefined && !cursor) {
      throw new AppError('invalid_query', [{ loc: ['query', 'cursor'], msg: 'not a cursor of GET /events', type: 'value_error.cursor' }]);
    }
    const partners = partnersToRead(consumer, filters.partner, ['query', 'partner']);
    const query: EventQuery = {
      ...(partners ? { partners } : {}),
      ...(filters.event_type ? { eventTypes: filters.event_type } : {}),
      ...(filters.appointment_id !== undefined ? { appointmentId: filters.appointment_id } : {}),
      ...(filters.patient_id !== undefined ? { patientId: filters.patient_id } : {}),
      receivedFrom: instant(filters.received_from),
      receivedBefore: instant(filters.received_before),
      timestampFrom: instant(filters.timestamp_from),
      timestampBefore: instant(filters.timestamp_before),
      order,
      limit: Number(single(q.limit) ?? 100),
      afterEventId: cursor?.afterEventId,
    };
    const page = await ctx.budget.spend(() => reads.list(query));
    ctx.outcome.returned = page.events.length;
    const next = page.lastEventId === undefined ? null : encodeEventsCursor({ afterEventId: page.lastEventId });
    return { status: 200, contentType: 'application/json', body: { data: page.events, next_cursor: next, has_more: next !== null } };
  };
}
