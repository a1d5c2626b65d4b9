/**
 * Cursors are positions the receiver hands out and takes back. Their form is published (the
 * spec's patterns), so that every string a client could send that fits it names a position:
 * one it never issued is simply a place in the order, never an error or a surprise.
 */
export interface EventsCursor {
  /** GET /events continues past this event_id, in the order asked for. */
  afterEventId: number;
}

/** The next unread event of the feed: entry `offset` of chunk `chunk`. */
export interface FeedCursor {
  chunk: number;
  offset: number;
}

const EVENTS = /^e1-(0|[1-9][0-9]{0,14})$/;
const DELIVERIES = /^d1-([0-9]{13}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** A list of deliveries continues past the record with this key (see deliveryKey), newest first. */
export function encodeDeliveriesCursor(afterKey: string): string {
  return `d1-${afterKey}`;
}

/** undefined when the text is not a cursor of a delivery list. */
export function decodeDeliveriesCursor(text: string): string | undefined {
  return DELIVERIES.exec(text)?.[1];
}
const FEED = /^f1-([1-9][0-9]{0,14})-(0|[1-9][0-9]{0,14})$/;

export function encodeEventsCursor(cursor: EventsCursor): string {
  return `e1-${cursor.afterEventId}`;
}

/** undefined when the text is not a cursor of GET /events. */
export function decodeEventsCursor(text: string): EventsCursor | undefined {
  const match = EVENTS.exec(text);
  return match ? { afterEventId: Number(match[1]) } : undefined;
}

export function encodeFeedCursor(cursor: FeedCursor): string {
  return `f1-${cursor.chunk}-${cursor.offset}`;
}

/** undefined when the text is not a feed cursor. */
export function decodeFeedCursor(text: string): FeedCursor | undefined {
  const match = FEED.exec(text);
  return match ? { chunk: Number(match[1]), offset: Number(match[2]) } : undefined;
}
