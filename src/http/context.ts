import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Request as OpenApiRequest } from 'openapi-backend';
import type { Logger } from 'pino';
import type { components } from '../../generated/openapi';
import type { AuthenticatedPartner } from '../auth/authenticate';
import type { AuthenticatedConsumer } from '../auth/consumerDirectory';
import type { KeyMode } from '../store/partnerStore';
import { addressKey } from '../limits/clientAddress';
import type { Decision } from '../limits/tokenBuckets';
import type { Idempotency } from '../idempotency';
import { WaitBudget } from '../store/waitBudget';
import type { AnyReply, OperationId, Reply, RequestBody } from './reply';
import type { ErrorReply } from './errorTable';

/**
 * What the pipeline learned about a request, for its log line and its metrics: never a value the
 * client sent, only names the service or the spec gave.
 */
export interface Outcome {
  /** Set once routing matched: unmatched paths are not logged, as a client may put anything in them. */
  operationId?: OperationId;
  /** The partner the key named, even when the request was then refused. */
  partner?: string;
  /** Whether that key was a live or a test key. */
  mode?: KeyMode;
  /** The consumer whose token opened a read. */
  consumer?: string;
  /** How many events a read returned. */
  returned?: number;
  /** The error the reply was made from, if it was one. */
  error?: ErrorReply;
  eventId?: number;
  /** A 201 that repeated an already stored event. */
  replayed?: boolean;
  /** What the delivery was deduplicated by: its webhook-id, its Idempotency-Key, or its payload. */
  idempotency?: Idempotency['source'];
  /** The event_type of a valid event (one of the spec's, never free text). */
  eventType?: components['schemas']['EventType'];
}

/** Who reads, and whose events (null: every partner's): as the consumer directory found them. */
export type Consumer = AuthenticatedConsumer;

/** One request on its way through the service: created by app.ts, handed to every step. */
export class RequestContext {
  /** The service's own id for the request (an X-Request-Id the client sends is ignored). */
  readonly requestId = randomUUID();
  readonly started = process.hrtime.bigint();
  /** When the request arrived, as the delivery log records it. */
  readonly receivedAt = new Date();
  private childLog: Logger | undefined;
  /** The client's address as budgets count it (see addressKey): the peer, or the one trusted proxies name. */
  readonly address: string;
  /** How long this request may still wait for the database, across all its calls. */
  readonly budget: WaitBudget;
  /** The request as openapi-backend sees it; the decoded body is placed here before validation. */
  readonly request: OpenApiRequest;
  readonly outcome: Outcome = {};
  /** The raw body, read once (signature checks and JSON decoding both need it). */
  rawBody?: Promise<Buffer>;
  /** The raw body once it has arrived: a refusal in the message's own format may quote its header. */
  bodyBytes?: Buffer;
  /** The one authentication of this request, shared by every security scheme. */
  authentication?: Promise<AuthenticatedPartner>;
  /** Set once the security step has let the request through. */
  partner?: AuthenticatedPartner;
  /** Set once a consumer token has let a read through: who reads, and which partners' events (null: all). */
  consumer?: Consumer;
  /** The operation's path and query parameters, as validated (strings; a repeated query parameter is an array). */
  params: Record<string, string> = {};
  query: Record<string, string | string[]> = {};
  /** The partner's rate-limit state after this request, reported in RateLimit headers. */
  rateLimit?: Decision;
  /** Gives back the request this partner spent, for a repeat answered without new work. */
  refundRateLimit?: () => void;
  /** The operation's reply, once its handler has given one. */
  reply?: AnyReply;

  constructor(
    readonly req: Request,
    readonly res: Response,
    private readonly options: { logger: Logger; dbTimeoutMs: number; request: OpenApiRequest; trustsProxies: boolean },
  ) {
    // Express's req.ip walks X-Forwarded-For through proxy-addr: only worth it when proxies are trusted.
    this.address = addressKey(options.trustsProxies ? req.ip : undefined, req.socket.remoteAddress);
    this.budget = new WaitBudget(options.dbTimeoutMs);
    this.request = options.request;
  }

  /** The logger for lines about this request, made when first needed (most requests only have their request line). */
  get log(): Logger {
    return (this.childLog ??= this.options.logger.child({ req_id: this.requestId }));
  }
}

/** A handler: the request context and the validated body in, a reply its operation declares out. */
export type Handler<Op extends OperationId> = (ctx: RequestContext, body: RequestBody<Op>) => Promise<Reply<Op>>;

/** One handler per operationId; a missing one does not compile. */
export type Handlers = { [Op in OperationId]: Handler<Op> };
