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
    // Validation let through only cursors of the published form, and each is a position.
    const cursorText = single(q.cursor);
    const cursor = cursorText === undefined ? undefined : decodeEventsCursor(cursorText);
    if (cursorText !== undefined && !cursor) {
      throw new AppError('invalid_query', [{ loc: ['query', 'cursor'], msg: 'not a cursor of GET /events', type: 'value_error.cursor' }]);
    }
    const partners = partnersToRead(consumer, single(q.partner), ['query', 'partner']);
    const eventTypes = list(q.event_type);
    const appointmentId = single(q.appointment_id);
    const patientId = single(q.patient_id);
    const query: EventQuery = {
      ...(partners ? { partners } : {}),
      ...(eventTypes ? { eventTypes } : {}),
      ...(appointmentId !== undefined ? { appointmentId } : {}),
      ...(patientId !== undefined ? { patientId } : {}),
      receivedFrom: instant(single(q.received_from)),
      receivedBefore: instant(single(q.received_before)),
      timestampFrom: instant(single(q.timestamp_from)),
      timestampBefore: instant(single(q.timestamp_before)),
      order,
      limit: Number(single(q.limit) ?? 100),
      afterEventId: cursor?.afterEventId,
    };
    const page = await ctx.budget.within((ms) => reads.list(query, ms));
    ctx.outcome.returned = page.events.length;
    const next = page.lastEventId === undefined ? null : encodeEventsCursor({ afterEventId: page.lastEventId });
    return { status: 200, contentType: 'application/json', body: { data: page.events, next_cursor: next, has_more: next !== null } };
  };
}
