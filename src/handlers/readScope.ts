import { AppError, InternalFault } from '../errors';
import type { Consumer, RequestContext } from '../http/context';

/** The consumer the security step let through; none here would mean the operation lost its security. */
export function consumerOf(ctx: RequestContext): Consumer {
  if (!ctx.consumer) throw new AppError('internal', [], {}, { cause: new InternalFault('no authenticated consumer') });
  return ctx.consumer;
}

/** The partners a read may cover: the one asked for (if the token covers it), else the token's own. */
export function partnersToRead(consumer: Consumer, asked: string | undefined, loc: (string | number)[]): readonly string[] | undefined {
  if (asked === undefined) return consumer.partners ?? undefined;
  if (consumer.partners && !consumer.partners.includes(asked)) {
    throw new AppError('forbidden', [{ loc, msg: "this token may not read this partner's events", type: 'auth_error.partner_not_allowed' }]);
  }
  return [asked];
}

/** A query parameter validation let through as one value (the first, if it was repeated). */
export function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A parameter that may repeat, as a list. */
export function list(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value : [value];
}
