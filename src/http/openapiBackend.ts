/**
 * Everything this service relies on in openapi-backend beyond its documented use, in one place;
 * test/unit/openapiBackend.test.ts pins each behaviour, so an upgrade that changes one fails there.
 */
import { OpenAPIBackend, ValidationContext, type Context, type Handler as LibraryHandler, type Request } from 'openapi-backend';
import { InternalFault } from '../errors';
import { validationError } from './validationErrors';
import { customizeAjv } from './ajv';
import type { RequestContext } from './context';
import type { AnyReply, OperationId } from './reply';

/** A handler as the pipeline calls it: the request context and the body validation has vouched for. */
export type BoundHandler = (ctx: RequestContext, body: never) => Promise<AnyReply>;

export interface ApiParts {
  definition: string;
  handlers: Record<OperationId, BoundHandler>;
  securityHandlers: Record<string, (c: Context, ctx: RequestContext) => unknown>;
  /** The library's own hooks and fallbacks (notFound, validationFail, ...). */
  hooks: Record<string, LibraryHandler>;
}

/**
 * The request as the library reads it: one string per header (Node keeps repeats apart; they are
 * joined, set-cookie aside, which is never sent to us), and HEAD routed as GET, since it is
 * answered as GET without a body (RFC 9110) wherever GET is. The query and the body are added
 * once the operation is known (see requestHooks.ts).
 */
export function libraryRequest(req: { method: string; path: string; headers: Record<string, string | string[] | undefined> }): Request {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return { method: req.method === 'HEAD' ? 'GET' : req.method, path: req.path, headers, query: {} };
}

export async function createApi(parts: ApiParts): Promise<OpenAPIBackend> {
  const api = new OpenAPIBackend({ definition: parts.definition, strict: true, validate: true, customizeAjv, securityHandlers: parts.securityHandlers });
  // The library checks documents against the OpenAPI 3.0 meta-schema, which rejects 3.1; the
  // spec is linted with Redocly instead (npm run lint:spec).
  api.validateDefinition = () => api.document;
  const handlers: Record<string, LibraryHandler> = {};
  for (const [operationId, handler] of Object.entries(parts.handlers)) {
    // The library validated the body against the operation's schema before calling this, so it
    // is the RequestBody<operationId> the handler's type says: the one cast the types cannot avoid.
    handlers[operationId] = async (c: Context, ctx: RequestContext) => {
      ctx.params = stringsOf(c.request.params);
      // The query the request hook kept (see requestHooks.ts), which is what validation checked.
      ctx.query = typeof ctx.request.query === 'object' ? ctx.request.query : {};
      ctx.reply = await handler(ctx, c.request.requestBody as never);
    };
  }
  api.register({ ...handlers, ...parts.hooks });
  await api.init();
  // The library rebuilds its operation list from the document (with lodash) on every lookup,
  // several times per request: a quarter of a request's CPU, by profile. The document never
  // changes after init, so the list is built once.
  const operations = api.router.getOperations();
  if (operations.length === 0) throw new Error(`no operations were loaded from ${parts.definition}`);
  api.router.getOperations = () => operations;
  return api;
}

/**
 * Routes, authenticates, validates and runs the operation's handler. The reply comes back through
 * the context, typed (the library's own return value is untyped); every fallback throws instead.
 */
export async function dispatch(api: OpenAPIBackend, ctx: RequestContext): Promise<AnyReply> {
  await api.handleRequest(ctx.request, ctx);
  if (!ctx.reply) throw new InternalFault('the operation ended without a reply');
  return ctx.reply;
}

/**
 * Why the security step refused. A security handler that throws is recorded by the library as
 * `{ error }` under its scheme's name, and the request goes on to the unauthorized handler.
 */
export function securityFailure(c: Context): unknown {
  for (const result of Object.values<unknown>(c.security)) {
    if (typeof result === 'object' && result !== null && 'error' in result && result.error) return result.error;
  }
  return undefined;
}

/**
 * Hands the decoded body to validation. The library JSON-parses a string body before validating
 * it: a body that is a JSON string (an event serialised twice, say) is handed over as JSON, so
 * that parse gives the string back, and it is refused as a string instead of validated as the
 * object inside it.
 */
export function setRequestBody(c: Context, ctx: RequestContext, body: unknown): void {
  ctx.request.body = typeof body === 'string' ? JSON.stringify(body) : body;
  c.request.requestBody = body;
}

/** The body media types the library validates itself (validation.js); it skips every other. */
const LIBRARY_VALIDATED = ['application/json', 'multipart/form-data', 'application/x-www-form-urlencoded'];
const ownValidators = new WeakMap<Context['operation'], BodyValidator>();

/**
 * The library validates a body only when its operation takes one of LIBRARY_VALIDATED; a body of
 * another media type only (HL7 v2 text) is validated here, against the schema the spec declares
 * for it, with the library's own Ajv and error translation: the same rules as any other body.
 */
export function validateOtherBody(c: Context, mediaType: string, body: unknown): void {
  const declared = c.operation.requestBody;
  if (!declared || !('content' in declared)) return;
  if (Object.keys(declared.content).some((type) => LIBRARY_VALIDATED.includes(type))) return;
  let validate = ownValidators.get(c.operation);
  if (!validate) ownValidators.set(c.operation, (validate = bodyValidator(c.api, declared.content[mediaType]?.schema ?? {}, declared.required === true)));
  const refused = validate(body);
  if (refused) throw refused;
}

/** Checks a body against a schema of the spec; the error it would be refused with, or undefined. */
export type BodyValidator = (body: unknown) => ReturnType<typeof validationError> | undefined;

/**
 * A body validator as the library builds its own: its request-body Ajv, the body wrapped as
 * `requestBody` (so errors are located at `["body", …]`) inside the spec's components, and the
 * same translation into the vocabulary.
 */
export function bodyValidator(api: OpenAPIBackend, schema: object, required: boolean): BodyValidator {
  const ajv = api.validator.getAjv(ValidationContext.RequestBody);
  const validate = ajv.compile({ type: 'object', properties: { requestBody: schema }, required: required ? ['requestBody'] : [], components: api.document.components });
  return (body) => (validate(body === undefined ? {} : { requestBody: body }) ? undefined : validationError(validate.errors ?? []));
}

// Operations are built once (see createApi), so their declared query parameters are too.
const declaredQueries = new WeakMap<Context['operation'], Set<string>>();

/**
 * The query parameters the operation declares. Like unknown body fields, others are ignored:
 * some senders append their own to every URL, and the library would refuse them.
 */
export function declaredQuery(c: Context, query: URLSearchParams): Record<string, string | string[]> {
  let names = declaredQueries.get(c.operation);
  if (!names) {
    names = new Set((c.operation.parameters ?? []).flatMap((p) => ('in' in p && p.in === 'query' ? [p.name] : [])));
    declaredQueries.set(c.operation, names);
  }
  const kept: Record<string, string | string[]> = {};
  for (const name of names) {
    const values = query.getAll(name);
    if (values.length > 0) kept[name] = values.length === 1 ? values[0]! : values;
  }
  return kept;
}

/** Path parameters as the router matched them (decoded): one string each. */
function stringsOf(params: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof params !== 'object' || params === null) return out;
  for (const [name, value] of Object.entries(params)) if (typeof value === 'string') out[name] = value;
  return out;
}
