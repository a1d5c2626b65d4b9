import express, { type Express, type Request, type Response } from 'express';
import helmet from 'helmet';
import { OpenAPIBackend } from 'openapi-backend';
import type { Logger } from 'pino';
import type { AuthenticatedPartner } from './auth/authenticate';
import type { Config } from './config';
import { operationHandlers, type HandlerDeps } from './handlers';
import { customizeAjv } from './http/ajv';
import { errorReply } from './http/errorTable';
import type { Exchange, Reply } from './http/exchange';
import { fallbackHandlers } from './http/fallbackHandlers';
import { requestHooks } from './http/requestHooks';
import { requestMetrics } from './http/requestMetrics';
import { securityHandlers, type RateLimits } from './http/securityHandlers';
import { rateLimitHeaders } from './limits/tokenBuckets';
import { locals, requestLog } from './http/requestLog';
import { SPEC_PATH } from './paths';

export interface AppDeps extends HandlerDeps {
  config: Pick<Config, 'bodyLimitBytes' | 'retryAfterSeconds' | 'metricsToken'>;
  limits: RateLimits;
  logger: Logger;
  authenticate: (headers: Request['headers'], rawBody: () => Promise<Buffer>) => Promise<AuthenticatedPartner>;
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
  app.use(requestLog(deps.logger));
  app.use(requestMetrics(deps.metrics));
  app.use(helmet());
  app.use(async (req: Request, res: Response) => {
    const exchange: Exchange = {
      req,
      res,
      request: { method: req.method, path: req.path, headers: req.headers as Record<string, string>, query: req.query as Record<string, string> },
    };
    let reply: Reply;
    try {
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
  return app;
}
