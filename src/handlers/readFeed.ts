import { AppError } from '../errors';
import type { Handler } from '../http/context';
import { decodeFeedCursor, encodeFeedCursor } from '../store/cursors';
import type { FeedReads } from '../store/feedReads';
import { consumerOf, single } from './readScope';

export interface FeedDeps {
  feed: FeedReads;
}

/** GET /feed: the events after the consumer's cursor, in feed order, and where to resume. */
export function readFeed({ feed }: FeedDeps): Handler<'readFeed'> {
  return async (ctx) => {
    const consumer = consumerOf(ctx);
    const afterText = single(ctx.query.after);
    const after = afterText === undefined ? undefined : decodeFeedCursor(afterText);
    if (afterText !== undefined && !after) {
      throw new AppError('invalid_query', [{ loc: ['query', 'after'], msg: 'not a cursor of this feed', type: 'value_error.cursor' }]);
    }
    const limit = Number(single(ctx.query.limit) ?? 100);
    const page = await ctx.budget.within((ms) => feed.read(after, limit, consumer.partners, ms));
    ctx.outcome.returned = page.events.length;
    return { status: 200, contentType: 'application/json', body: { data: page.events, next_cursor: encodeFeedCursor(page.next), has_more: page.hasMore } };
  };
}
