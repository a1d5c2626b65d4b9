import type { Context } from 'openapi-backend';
import { assertJsonContent, decodeJson, readBody } from './body';
import { locals } from './requestLog';
import type { Exchange } from './exchange';

/**
 * What happens between routing and validation. Body handling sits here, so unknown paths and methods get 404/405
 * whatever they send. The raw bytes are read right after routing (later signature checks need
 * them exactly as received); JSON is decoded after the security step, so that an unauthenticated
 * request is refused before its body is looked at.
 */
export function requestHooks(bodyLimitBytes: number) {
  return {
    postRoutingHandler: async (c: Context, exchange: Exchange): Promise<void> => {
      if (!c.operation) return;
      locals(exchange.res).operationId = c.operation.operationId;
      // Like unknown body fields, query parameters the operation does not declare are ignored
      // (openapi-backend would reject them): some senders append their own to every URL.
      const declared = new Set((c.operation.parameters ?? []).flatMap((p) => ('in' in p && p.in === 'query' ? [p.name] : [])));
      exchange.request.query = Object.fromEntries(Object.entries(exchange.request.query ?? {}).filter(([name]) => declared.has(name)));
      if (!c.operation.requestBody) return;
      assertJsonContent(exchange.req);
      exchange.rawBody = await readBody(exchange.req, bodyLimitBytes);
    },
    postSecurityHandler: (c: Context, exchange: Exchange): void => {
      if (exchange.rawBody === undefined) return;
      const body = decodeJson(exchange.rawBody);
      exchange.request.body = body;
      c.request.requestBody = body;
    },
  };
}
