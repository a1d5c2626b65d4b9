import type { Context } from 'openapi-backend';
import { assertContent, decodeJson, decodeText, readBody } from './body';
import type { RequestContext } from './context';
import { declaredQuery, setRequestBody, validateOtherBody } from './openapiBackend';
import type { OperationId } from './reply';

/**
 * The raw body, read at most once, stopping at the limit (413). A client that sent
 * `Expect: 100-continue` waits for our go-ahead before sending it: that is given here, once the
 * request has got this far (authenticated, routed), never before.
 */
export function rawBodyOf(ctx: RequestContext, limit: number): Promise<Buffer> {
  if (!ctx.rawBody) {
    const { req, res } = ctx;
    if (req.headers.expect?.trim().toLowerCase() === '100-continue' && !res.headersSent) res.writeContinue();
    ctx.rawBody = readBody(req, limit).then((bytes) => (ctx.bodyBytes = bytes));
  }
  return ctx.rawBody;
}

/** Shared by every request without a query (most of them); only ever read. */
const NO_QUERY = new URLSearchParams();

const isHl7MediaType = (mediaType: string): boolean => mediaType.includes('hl7-v2');

/**
 * What happens between routing and validation. Unknown paths and methods get 404/405 whatever
 * they send; authentication runs next (a signed partner's raw body is read there); only then
 * are the media type and the JSON checked, so an unauthenticated request is refused before its
 * body is looked at. `operationIds` are those of openapi.yaml, which the handler map's keys are.
 */
export function requestHooks(bodyLimitBytes: number, operationIds: ReadonlySet<string>) {
  const isOperationId = (id: string): id is OperationId => operationIds.has(id);
  return {
    postRoutingHandler: (c: Context, ctx: RequestContext): void => {
      if (!c.operation) return;
      const id = c.operation.operationId;
      if (id !== undefined && isOperationId(id)) ctx.outcome.operationId = id;
      // The query as sent; URLSearchParams takes any text, so no target can make this throw.
      const url = ctx.req.originalUrl;
      const mark = url.indexOf('?');
      ctx.request.query = declaredQuery(c, mark < 0 ? NO_QUERY : new URLSearchParams(url.slice(mark + 1)));
    },
    postSecurityHandler: async (c: Context, ctx: RequestContext): Promise<void> => {
      const secured = (c.operation.security ?? []).length > 0;
      if ((secured && !c.security.authorized) || !c.operation.requestBody) return;
      const body = c.operation.requestBody;
      // The library dereferenced the document: a body is never a $ref by now.
      const accepted = 'content' in body ? Object.keys(body.content) : [];
      const mediaType = assertContent(ctx.req, accepted);
      const raw = await rawBodyOf(ctx, bodyLimitBytes);
      // Every media type the spec lists is JSON but HL7 v2's ER7 text.
      const decoded = isHl7MediaType(mediaType) ? decodeText(raw) : decodeJson(raw);
      validateOtherBody(c, mediaType, decoded);
      setRequestBody(c, ctx, decoded);
    },
  };
}
