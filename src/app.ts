import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { OpenAPIBackend } from 'openapi-backend';
import type { Logger } from 'pino';
import type { AuthenticatedPartner, AuthenticationRequest } from './auth/authenticate';
import type { Config } from './config';
import { operationHandlers, type HandlerDeps } from './handlers';
import { AppError } from './errors';
import { customizeAjv } from './http/ajv';
import { errorReply } from './http/errorTable';
import type { Exchange, Reply } from './http/exchange';
import { fallbackHandlers } from './http/fallbackHandlers';
import { requestHooks } from './http/requestHooks';
import { requestMetrics } from './http/requestMetrics';
import { securityHandlers, type RateLimits } from './http/securityHandlers';
import { addressKey } from './limits/clientAddress';
import { rateLimitHeaders } from './limits/tokenBuckets';
import { locals, requestLog } from './http/requestLog';
import { SPEC_PATH } from './paths';
import { WaitBudget } from './store/waitBudget';

export interface AppDeps extends HandlerDeps {
  config: Pick<Config, 'bodyLimitBytes' | 'retryAfterSeconds' | 'metricsToken' | 'dbTimeoutMs' | 'trustProxy'>;
  limits: RateLimits;
  logger: Logger;
  authenticate: (request: AuthenticationRequest) => Promise<AuthenticatedPartner>;
}

/** Builds the API from openapi.yaml: routing, validation and dispatch by operationId. */
export async function createApi(deps: AppDeps): Promise<OpenAPIBackend> {
  const api = new OpenAPIBackend({
    definition: SPEC_PATH,
    strict: true,
    validate: true,
    customizeAjv,
    securityHandlers: securityHandlers(deps.authenticate, deps.config.bodyLimitBytes, deps.limits, deps.config.metricsToken),
  });
  // openapi-backend checks documents against the OpenAPI 3.0 meta-schema, which rejects 3.1.
  // The spec is linted with Redocly instead (npm run lint:spec), so that check is skipped here.
  api.validateDefinition = () => api.document;
  api.register({
    ...operationHandlers(deps),
    ...fallbackHandlers(api),
    ...requestHooks(deps.config.bodyLimitBytes),
  });
  await api.init();
  // openapi-backend rebuilds its operation list from the document (with lodash) on every lookup,
  // several times per request: a quarter of the CPU a request costs, by profile. The document
  // never changes after init, so the list is built once.
  const operations = api.router.getOperations();
  if (operations.length === 0) throw new Error(`no operations were loaded from ${SPEC_PATH}`);
  api.router.getOperations = () => operations;
  return api;
}

export async function createApp(deps: AppDeps): Promise<Express> {
  const api = await createApi(deps);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Which X-Forwarded-For hops to believe (TRUST_PROXY); off, the socket's peer is the client.
  app.set('trust proxy', deps.config.trustProxy);
  app.use(requestLog(deps.logger));
  app.use(requestMetrics(deps.metrics));
  app.use(helmet());
  app.use(async (req: Request, res: Response) => {
    const exchange: Exchange = {
      req,
      res,
      // HEAD is answered as GET without a body (RFC 9110), wherever GET is.
      request: { method: req.method === 'HEAD' ? 'GET' : req.method, path: req.path, headers: req.headers as Record<string, string>, query: req.query as Record<string, string> },
      address: addressKey(req.ip, req.socket.remoteAddress),
      budget: new WaitBudget(deps.config.dbTimeoutMs),
    };
    let reply: Reply;
    try {
      // HTTP/1.1 requires Host (RFC 9112); Node's own refusal would not be in the envelope.
      if (req.httpVersion === '1.1' && req.headers.host === undefined) {
        throw new AppError('bad_request', [{ loc: ['header', 'host'], msg: 'an HTTP/1.1 request must carry a Host header', type: 'value_error.missing' }]);
      }
      reply = (await api.handleRequest(exchange.request, exchange)) as Reply;
    } catch (err) {
      const failure = errorReply(err, deps.config.retryAfterSeconds);
      locals(res).errorReply = failure;
      reply = failure;
    }
    if (reply.status >= 400) {
      // The body may not have been read; closing avoids reading an unwanted (possibly huge) body.
      if (!req.complete) res.setHeader('Connection', 'close');
    }
    // Every reply to an authenticated request says where the partner stands.
    if (exchange.rateLimit) res.set(rateLimitHeaders(exchange.rateLimit));
    res.status(reply.status).set(reply.headers ?? {});
    if (reply.contentType) res.type(reply.contentType).send(reply.body);
    else res.json(reply.body);
  });
  app.use(lastResort(deps.config.retryAfterSeconds));
  return app;
}

/** Headers an interrupted reply may have set that would misdescribe the 500 sent instead. */
const REPLY_HEADERS = ['content-type', 'content-length', 'idempotent-replayed', 'retry-after', 'allow', 'www-authenticate', 'ratelimit', 'ratelimit-policy'];

/**
 * Whatever fails outside the request's own handling (a middleware, sending the reply) still ends
 * as the declared 500 envelope, logged once by the request log; never Express's HTML page.
 */
function lastResort(retryAfterSeconds: number) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    const failure = errorReply(new AppError('internal', [], {}, { cause: err }), retryAfterSeconds);
    locals(res).errorReply = failure;
    if (res.headersSent) {
      // Part of a reply is on its way: the only honest end is to cut the connection.
      res.destroy();
      return;
    }
    for (const name of REPLY_HEADERS) res.removeHeader(name);
    res.status(failure.status).set(failure.headers).json(failure.body);
  };
}
