import { createHash } from 'node:crypto';

/**
 * Cursors are opaque to clients: base64url of a short versioned text. A cursor of GET /events
 * also carries a digest of the query it was issued for, so one reused with other filters is
 * refused instead of silently paging through a different result.
 */
export interface EventsCursor {
  afterEventId: number;
  queryDigest: string;
}

/** The next unread event of the feed: entry `offset` of chunk `chunk`. */
export interface FeedCursor {
  chunk: number;
  offset: number;
}

const encode = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');
const decode = (cursor: string): string[] => Buffer.from(cursor, 'base64url').toString('utf8').split('.');
const whole = (text: string | undefined): number | undefined => (text !== undefined && /^(0|[1-9][0-9]{0,15})$/.test(text) ? Number(text) : undefined);

/** A digest of the query a page answers (filters and order, not the page size). */
export function queryDigest(query: Record<string, unknown>): string {
  const canonical = JSON.stringify(Object.keys(query).sort().map((key) => [key, query[key]]));
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 12);
}

export function encodeEventsCursor(cursor: EventsCursor): string {
  return encode(`e1.${cursor.afterEventId}.${cursor.queryDigest}`);
}

/** undefined when the text is not a cursor of GET /events. */
export function decodeEventsCursor(text: string): EventsCursor | undefined {
  const [version, id, digest, ...rest] = decode(text);
  const afterEventId = whole(id);
  if (version !== 'e1' || afterEventId === undefined || !digest || rest.length > 0) return undefined;
  return { afterEventId, queryDigest: digest };
}

export function encodeFeedCursor(cursor: FeedCursor): string {
  return encode(`f1.${cursor.chunk}.${cursor.offset}`);
}

/** undefined when the text is not a feed cursor. */
export function decodeFeedCursor(text: string): FeedCursor | undefined {
  const [version, chunkText, offsetText, ...rest] = decode(text);
  const chunk = whole(chunkText);
  const offset = whole(offsetText);
  if (version !== 'f1' || chunk === undefined || chunk < 1 || offset === undefined || rest.length > 0) return undefined;
  return { chunk, offset };
}
