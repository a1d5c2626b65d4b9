import type { AuthenticatedPartner } from '../auth/authenticate';
import { AppError, InternalFault } from '../errors';
import type { RequestContext } from '../http/context';

/** The partner the security step let through; none here would mean the operation lost its security. */
export function partnerOf(ctx: RequestContext): AuthenticatedPartner {
  if (!ctx.partner) throw new AppError('internal', [], {}, { cause: new InternalFault('no authenticated partner') });
  return ctx.partner;
}
