import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express, { type Response } from 'express';
import type { Logger } from 'pino';
import type { AuthenticatedPartner, AuthenticationRequest } from './auth/authenticate';
import type { Config } from './config';
import { AppError, InternalFault } from './errors';
import { operationHandlers, type HandlerDeps } from './handlers';
import { RequestContext } from './http/context';
import { errorReply, type ErrorReply } from './http/errorTable';
import { inRouteFormat } from './http/errorFormats';
import { writeReply, type WireReply } from './http/writeReply';
import { eventContract, type EventCheck } from './http/eventContract';
import { fallbackHandlers } from './http/fallbackHandlers';
import { createApi, dispatch, libraryRequest } from './http/openapiBackend';
import type { AnyReply, OperationId } from './http/reply';
import { replyContract, type ContractViolation, type SentReply } from './http/replyContract';
import { requestHooks } from './http/requestHooks';
import { whenOver } from './http/requestEnd';
import { describe, writeLogLine } from './http/requestLog';
import { countRequest } from './http/requestMetrics';
import { deliveryRecorder } from './http/deliveryRecord';
import type { DeliveryLog } from './store/deliveryLog';
import { securityHandlers, type AuthenticateConsumer, type RateLimits } from './http/securityHandlers';
import { rateLimitHeaders } from './limits/tokenBuckets';
import { SPEC_PATH } from './paths';
import { withoutRedaction } from './logger';
import { secureHeaders } from './http/secureHeaders';

export interface AppDeps extends Omit<HandlerDeps, 'checkEvent'> {
  config: Pick<Config, 'bodyLimitBytes' | 'retryAfterSeconds' | 'metricsToken' | 'operatorToken' | 'dbTimeoutMs' | 'trustProxy' | 'validateResponses'>;
  /** Where each request to a receiving operation is recorded (none when DELIVERY_LOG_DAYS is 0). */
  deliveryLog?: Pick<DeliveryLog, 'record' | 'countOnly'>;
  limits: RateLimits;
  logger: Logger;
  authenticate: (request: AuthenticationRequest) => Promise<AuthenticatedPartner>;
  authenticateConsumer: AuthenticateConsumer;
  /** Told of every reply that breaks the contract, when VALIDATE_RESPONSES is on, instead of the log (tests use it). */
  onContractViolation?: (violation: ContractViolation) => void;
}

/** Headers an interrupted reply may have set that would misdescribe the 500 sent instead. */
const REPLY_HEADERS = ['content-type', 'content-length', 'idempotent-replayed', 'retry-after', 'allow', 'www-authenticate', 'ratelimit', 'ratelimit-policy'];

/** The API from openapi.yaml behind express: one RequestContext per request, one reply, one log line. */
export interface App {
  /** The request listener for node:http. */
  listener: RequestListener;
  /** Checks a reply written outside the app (straight to a socket), as the app checks its own. */
  witnessUnrouted: (reply: SentReply) => void;
}

export async function createApp(deps: AppDeps): Promise<App> {
  // The event check is compiled from the loaded spec, which exists only once the handlers are registered.
  const compiled: { check?: EventCheck } = {};
  const handlers = operationHandlers({
    ...deps,
    checkEvent: (inputs) => {
      if (!compiled.check) throw new InternalFault('the event check is not ready');
      return compiled.check(inputs);
    },
  });
  const api = await createApi({
    definition: SPEC_PATH,
    handlers,
    securityHandlers: securityHandlers(deps.authenticate, deps.authenticateConsumer, deps.config.bodyLimitBytes, deps.limits, { metrics: deps.config.metricsToken, operator: deps.config.operatorToken }),
    hooks: { ...fallbackHandlers(), ...requestHooks(deps.config.bodyLimitBytes, new Set(Object.keys(handlers))) },
  });
  compiled.check = eventContract(api);
  const checkReply = deps.config.validateResponses ? replyContract(api) : undefined;
  const setSecureHeaders = secureHeaders();
  const recordDelivery = deliveryRecorder(deps.metrics, deps.deliveryLog);
  const requestLines = withoutRedaction(deps.logger);

  async function respond(ctx: RequestContext): Promise<void> {
    let reply: AnyReply | ErrorReply;
    try {
      // HTTP/1.1 requires Host (RFC 9112); Node's own refusal would not be in the envelope.
      if (ctx.req.httpVersion === '1.1' && ctx.req.headers.host === undefined) {
        throw new AppError('bad_request', [{ loc: ['header', 'host'], msg: 'an HTTP/1.1 request must carry a Host header', type: 'value_error.missing' }]);
      }
      reply = await dispatch(api, ctx);
    } catch (err) {
      reply = ctx.outcome.error = errorReply(err, deps.config.retryAfterSeconds);
    }
    send(ctx, reply);
  }

  function send(ctx: RequestContext, given: AnyReply | ErrorReply): void {
    // A refusal by an HL7 v2 or FHIR route is written in that format; the record keeps the envelope.
    const reply: WireReply = 'error' in given ? inRouteFormat(ctx, given) : given;
    const { req, res } = ctx;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(reply.headers ?? {})) if (value !== undefined) headers[name] = String(value);
    // Every reply to an authenticated request says where the partner stands.
    if (ctx.rateLimit) Object.assign(headers, rateLimitHeaders(ctx.rateLimit));
    if (checkReply) witness(ctx.outcome.operationId, { ...reply, headers: { ...headers, 'X-Request-Id': ctx.requestId } }, () => ctx.log);
    // The body may not have been read; closing avoids reading an unwanted (possibly huge) body.
    if (reply.status >= 400 && !req.complete) res.setHeader('Connection', 'close');
    writeReply(res.status(reply.status).set(headers), reply);
  }

  /** Checks a reply against the spec when VALIDATE_RESPONSES is on; a check that throws itself is only logged. */
  function witness(operationId: OperationId | undefined, reply: SentReply, log: () => Logger): void {
    if (!checkReply) return;
    try {
      const problems = checkReply(operationId, reply);
      if (problems.length === 0) return;
      const violation = { operation: operationId ?? null, status: reply.status, problems };
      if (deps.onContractViolation) deps.onContractViolation(violation);
      else log().error(violation, 'reply breaks the contract');
    } catch (err) {
      log().error({ cause: describe(err) }, 'the reply check failed');
    }
  }

  /**
   * Whatever fails outside the request's own handling (sending the reply, say) still ends as the
   * declared 500 envelope, logged once by the request log; never Express's HTML page.
   */
  function lastResort(ctx: RequestContext, err: unknown): void {
    const failure = (ctx.outcome.error = errorReply(new AppError('internal', [], {}, { cause: err }), deps.config.retryAfterSeconds));
    const { res } = ctx;
    if (res.headersSent) {
      // Part of a reply is on its way: the only honest end is to cut the connection.
      res.destroy();
      return;
    }
    for (const name of REPLY_HEADERS) res.removeHeader(name);
    const reply = inRouteFormat(ctx, failure);
    witness(ctx.outcome.operationId, { ...reply, headers: { ...reply.headers, 'X-Request-Id': ctx.requestId } }, () => ctx.log);
    writeReply(res.status(reply.status).set(reply.headers), reply);
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Which X-Forwarded-For hops to believe (TRUST_PROXY); off, the socket's peer is the client.
  app.set('trust proxy', deps.config.trustProxy);
  app.use((req, res) => {
    let ctx: RequestContext;
    try {
      ctx = new RequestContext(req, res, { logger: deps.logger, dbTimeoutMs: deps.config.dbTimeoutMs, request: libraryRequest(req), trustsProxies: deps.config.trustProxy !== false });
    } catch (err) {
      // Nothing is known of the request yet: the bare envelope, and one error line.
      const failure = errorReply(new AppError('internal', [], {}, { cause: err }), deps.config.retryAfterSeconds);
      const requestId = randomUUID();
      deps.logger.error({ req_id: requestId, method: req.method, status: failure.status, cause: describe(err) }, 'request failed');
      res.status(failure.status).set({ ...failure.headers, 'X-Request-Id': requestId }).json(failure.body);
      return;
    }
    res.setHeader('X-Request-Id', ctx.requestId);
    const { promise: settled, resolve: settle } = Promise.withResolvers<void>();
    whenOver(res, settled, () => finished(ctx, res));
    let handled: Promise<void>;
    try {
      setSecureHeaders(res);
      handled = respond(ctx).catch((failure: unknown) => lastResort(ctx, failure));
    } catch (err) {
      handled = Promise.resolve(lastResort(ctx, err));
    }
    void handled.finally(settle);
  });

  function finished(ctx: RequestContext, res: Response): void {
    // A listener that threw would take the process down with it: logging must never do that.
    try {
      writeLogLine(ctx, res, requestLines);
      const seconds = Number(process.hrtime.bigint() - ctx.started) / 1e9;
      countRequest(deps.metrics, ctx, res, seconds);
      recordDelivery(ctx, res.statusCode, seconds * 1000);
    } catch (err) {
      deps.logger.error({ req_id: ctx.requestId, cause: describe(err) }, 'request log line or metrics failed');
    }
  }
  // Express hands a request it cannot route at all (a target that is not a path, such as `*` or
  // a malformed absolute URL) to this callback instead of answering with its own HTML page.
  const handle: (req: IncomingMessage, res: ServerResponse, unroutable: () => void) => void = app;
  return {
    listener: (req, res) => handle(req, res, () => answerUnroutable(req, res, deps, witness)),
    witnessUnrouted: (reply) => witness(undefined, reply, () => deps.logger),
  };
}

/** The envelope, an id and one log line for a request target no route can even be matched against. */
function answerUnroutable(req: IncomingMessage, res: ServerResponse, deps: Pick<AppDeps, 'logger' | 'config'>, witness: (operationId: undefined, reply: SentReply, log: () => Logger) => void): void {
  const failure = errorReply(new AppError(req.url?.startsWith('/') || req.url === '*' ? 'not_found' : 'bad_request'), deps.config.retryAfterSeconds);
  const requestId = randomUUID();
  deps.logger.warn({ req_id: requestId, method: req.method, operation: null, status: failure.status, error: failure.error.code }, 'request rejected');
  if (res.headersSent) return void res.destroy();
  witness(undefined, { ...failure, headers: { ...failure.headers, 'X-Request-Id': requestId } }, () => deps.logger);
  const body = JSON.stringify(failure.body);
  res.writeHead(failure.status, { ...failure.headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'X-Request-Id': requestId });
  res.end(body);
}
