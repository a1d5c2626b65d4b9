import type { Request, Response } from 'express';
import type { Context, Request as OpenApiRequest } from 'openapi-backend';
import type { AuthenticatedPartner } from '../auth/authenticate';
import type { Decision } from '../limits/tokenBuckets';
import type { WaitBudget } from '../store/waitBudget';

/** One request on its way through openapi-backend: passed to every hook and handler. */
export interface Exchange {
  req: Request;
  res: Response;
  /** The request as openapi-backend sees it; the decoded body is placed here before validation. */
  request: OpenApiRequest;
  /** The client's address as budgets count it (see addressKey): the peer, or the one trusted proxies name. */
  address: string;
  /** How long this request may still wait for the database, across all its calls. */
  budget: WaitBudget;
  /** The raw body, read once (signature checks and JSON decoding both need it). */
  rawBody?: Promise<Buffer>;
  /** The one authentication of this request, shared by every security scheme. */
  authentication?: Promise<AuthenticatedPartner>;
  /** Set by the security step. */
  partner?: AuthenticatedPartner;
  /** Why the security step refused, for the unauthorized handler to answer with. */
  authFailure?: unknown;
  /** The partner's rate-limit state after this request, reported in RateLimit headers. */
  rateLimit?: Decision;
  /** Gives back the request this partner spent, for a repeat answered without new work. */
  refundRateLimit?: () => void;
}

export interface Reply {
  status: number;
  /** Sent as JSON, unless `contentType` is set: then sent as it is. */
  body: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export type OperationHandler = (context: Context, exchange: Exchange) => Promise<Reply>;
