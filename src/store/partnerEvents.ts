import type { Collection, Db } from 'mongodb';
import type { components } from '../../generated/openapi';
import { maxTimeMS, toAppError } from './dbErrors';
import { toStoredEvent, type EventDocument, type Mode } from './eventDocument';
import { EVENTS_COLLECTION, TEST_EVENTS_COLLECTION } from './eventStore';

export type PartnerEvent = components['schemas']['PartnerEvent'];

/** Either way a partner can name one of its events: the event_id of its 201, or the key it sent. */
export type EventLookup = { eventId: number } | { keyDigests: string[] };

export interface PartnerEvents {
  /** One of this partner's events of this mode, or null (also when it is another partner's). */
  find(mode: Mode, partner: string, lookup: EventLookup, maxTimeMs: number): Promise<PartnerEvent | null>;
}

const READABLE = { _id: 0, idempotency_key: 0, payload_fingerprint: 0, feed_chunk: 0 } as const;

/** Partners' own lookups: by key, through `_id` (the key digest, so one indexed read everywhere); by event_id, through its unique index. */
export function openPartnerEvents(db: Db): PartnerEvents {
  const collections: Record<Mode, Collection<EventDocument>> = {
    live: db.collection<EventDocument>(EVENTS_COLLECTION),
    test: db.collection<EventDocument>(TEST_EVENTS_COLLECTION),
  };
  return {
    async find(mode, partner, lookup, maxTimeMs) {
      // The partner is part of the filter: another partner's event is not found, not refused.
      const options = { projection: READABLE, readConcern: { level: 'majority' as const }, maxTimeMS: maxTimeMS(maxTimeMs) };
      const events = collections[mode];
      try {
        const doc =
          'eventId' in lookup
            ? await events.findOne({ event_id: lookup.eventId, partner }, options)
            : // Events stored before `_id` held the key have it only in the field.
              ((await events.findOne({ _id: { $in: lookup.keyDigests }, partner }, options)) ??
                (await events.findOne({ idempotency_key: { $in: lookup.keyDigests }, partner }, options)));
        return doc ? { ...toStoredEvent(doc), mode } : null;
      } catch (err) {
        throw toAppError(err);
      }
    },
  };
}
