import type { Context } from 'openapi-backend';
import { assertJsonContent, decodeJson, readBody } from './body';
import type { Exchange } from './exchange';
import { locals } from './requestLog';

// Operations are built once (see createApi), so their declared query parameters are too.
const declaredQueries = new WeakMap<Context['operation'], Set<string>>();
function declaredQuery(operation: Context['operation']): Set<string> {
  let names = declaredQueries.get(operation);
  if (!names) {
    names = new Set((operation.parameters ?? []).flatMap((p) => ('in' in p && p.in === 'query' ? [p.name] : [])));
    declaredQueries.set(operation, names);
  }
  return names;
}

/**
 * The raw body, read at most once, stopping at the limit (413). A client that sent
 * `Expect: 100-continue` waits for our go-ahead before sending it: that is given here, once the
 * request has got this far (authenticated, routed), never before.
 */
export function rawBodyOf(exchange: Exchange, limit: number): Promise<Buffer> {
  if (!exchange.rawBody) {
    const { req, res } = exchange;
    if (req.headers.expect?.trim().toLowerCase() === '100-continue' && !res.headersSent) res.writeContinue();
    exchange.rawBody = readBody(req, limit);
  }
  return exchange.rawBody;
}

/**
 * What happens between routing and validation. Unknown paths and methods get 404/405 whatever
 * they send; authentication runs next (a signed partner's raw body is read there); only then
 * are the media type and the JSON checked, so an unauthenticated request is refused before its
 * body is looked at.
 */
export function requestHooks(bodyLimitBytes: number) {
  return {
    postRoutingHandler: (c: Context, exchange: Exchange): void => {
      if (!c.operation) return;
      locals(exchange.res).operationId = c.operation.operationId;
      // Like unknown body fields, query parameters the operation does not declare are ignored
      // (openapi-backend would reject them): some senders append their own to every URL.
      const declared = declaredQuery(c.operation);
      exchange.request.query = Object.fromEntries(Object.entries(exchange.request.query ?? {}).filter(([name]) => declared.has(name)));
    },
    postSecurityHandler: async (c: Context, exchange: Exchange): Promise<void> => {
      const secured = (c.operation.security ?? []).length > 0;
      if ((secured && !c.security.authorized) || !c.operation.requestBody) return;
      assertJsonContent(exchange.req);
      const body = decodeJson(await rawBodyOf(exchange, bodyLimitBytes));
      // openapi-backend parses a string body as JSON before validating it: a body that is a JSON
      // string (an event serialised twice, say) is handed over as JSON, so that parse gives the
      // string back, and it is refused as a string instead of validated as the object inside.
      exchange.request.body = typeof body === 'string' ? JSON.stringify(body) : body;
      c.request.requestBody = body;
    },
  };
}
