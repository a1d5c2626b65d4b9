/**
 * Pins the openapi-backend behaviours src/http/openapiBackend.ts relies on: if an upgrade changes
 * one, these fail before the service silently does something else.
 */
import { OpenAPIBackend, SetMatchType, type Context, type Document } from 'openapi-backend';
import { customizeAjv } from '../../src/http/ajv';
import { AppError } from '../../src/errors';
import { declaredQuery, libraryRequest, securityFailure, validateOtherBody } from '../../src/http/openapiBackend';

const DEFINITION: Document = {
  openapi: '3.1.0',
  info: { title: 't', version: '1' },
  components: { securitySchemes: { one: { type: 'http', scheme: 'bearer' }, two: { type: 'apiKey', in: 'header', name: 'X-Two' } } },
  paths: {
    '/thing': {
      post: {
        operationId: 'postThing',
        security: [{ one: [] }, { two: [] }],
        parameters: [{ name: 'page', in: 'query', required: false, schema: { type: 'string' } }],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['a'], properties: { a: { type: 'string' } } } } },
        },
        responses: {
          '200': {
            description: 'ok',
            headers: { 'X-Known': { schema: { type: 'string' } } },
            content: { 'application/json': { schema: { type: 'object', required: ['ok'], properties: { ok: { const: true } } } } },
          },
        },
      },
    },
  },
};

async function library(handlers: Record<string, (c: Context) => unknown> = {}, securityHandlers: Record<string, (c: Context) => unknown> = {}) {
  const api = new OpenAPIBackend({ definition: structuredClone(DEFINITION), strict: true, validate: true, customizeAjv, securityHandlers });
  api.validateDefinition = () => api.document;
  api.register({ postThing: () => 'handled', validationFail: (c: Context) => c.validation.errors, unauthorizedHandler: (c: Context) => c, ...handlers });
  await api.init();
  return api;
}

const request = (body: unknown, path = '/thing') => ({ method: 'POST', path, headers: { 'content-type': 'application/json' }, query: {}, body });

describe('openapi-backend, as this service relies on it', () => {
  test('when a security handler throws, then the error is kept under its scheme and the unauthorized handler runs', async () => {
    const refusal = new Error('refused');
    const api = await library({}, { one: () => Promise.reject(refusal), two: () => Promise.reject(refusal) });
    const c = (await api.handleRequest(request({ a: 'x' }))) as Context;
    expect(c.security.authorized).toBe(false);
    expect(c.security.one).toEqual({ error: refusal });
    expect(securityFailure(c)).toBe(refusal);
  });

  test('when every security handler passes, then securityFailure finds nothing', async () => {
    const api = await library({ unauthorizedHandler: () => 'refused' }, { one: () => true, two: () => true });
    expect(await api.handleRequest(request({ a: 'x' }))).toBe('handled');
  });

  test('when the document is OpenAPI 3.1, then the library\'s own definition check refuses it (so the service skips it)', async () => {
    const api = new OpenAPIBackend({ definition: structuredClone(DEFINITION), strict: true, validate: true });
    await expect(api.init()).rejects.toThrow(/not valid OpenAPI/);
  });

  test('when a body is a string, then the library parses it as JSON before validating (so a JSON string body is re-encoded)', async () => {
    const api = await library({}, { one: () => true });
    expect(api.validateRequest(request(JSON.stringify({ a: 'x' })), 'postThing').errors).toBeNull();
    const errors = api.validateRequest(request(JSON.stringify('just a string')), 'postThing').errors ?? [];
    expect(errors.map((e) => e.keyword)).toContain('type');
  });

  test('when the body breaks the schema, then error paths start at /requestBody', async () => {
    const api = await library();
    const errors = api.validateRequest(request({ a: 5 }), 'postThing').errors ?? [];
    expect(errors[0]?.instancePath).toBe('/requestBody/a');
  });

  test('when a query parameter is not declared, then the library refuses it (so undeclared ones are dropped first)', async () => {
    const api = await library();
    const errors = api.validateRequest({ ...request({ a: 'x' }), query: { other: '1' } }, 'postThing').errors ?? [];
    expect(errors.map((e) => e.keyword)).toContain('additionalProperties');
    const operation = api.getOperation('postThing')!;
    expect(declaredQuery({ operation } as Context, new URLSearchParams('page=2&other=1&page=3'))).toEqual({ page: ['2', '3'] });
  });

  test('when the operation list is asked for, then it comes from the router on every match (so building it once pays)', async () => {
    const api = await library({}, { one: () => true });
    const spy = jest.spyOn(api.router, 'getOperations');
    api.matchOperation(request({ a: 'x' }));
    expect(spy).toHaveBeenCalled();
  });

  test('when a response has an undeclared status, then validateResponse passes it (so the service checks the status itself)', async () => {
    const api = await library();
    const operation = api.getOperation('postThing')!;
    expect(api.validator.validateResponse({ anything: 1 }, operation, 418).errors).toBeNull();
    expect(api.validator.validateResponse({ ok: false }, operation, 200).errors).not.toBeNull();
  });

  test('when a response carries an undeclared header, then the subset match refuses it', async () => {
    const api = await library();
    const operation = api.getOperation('postThing')!;
    const check = (headers: Record<string, string>) => api.validator.validateResponseHeaders(headers, operation, { statusCode: 200, setMatchType: SetMatchType.Subset }).errors;
    expect(check({ 'X-Known': 'v' })).toBeNull();
    expect(check({ 'X-Other': 'v' })).not.toBeNull();
  });

  test('when the request object is given its body after routing, then that body is the one validated (how the body reaches validation)', async () => {
    const api = await library({}, { one: () => true });
    const req = { ...request(undefined), query: {} };
    api.register('postRoutingHandler', () => void (req.body = { a: 5 }));
    const errors = (await api.handleRequest(req)) as { instancePath: string }[];
    expect(errors.map((e) => e.instancePath)).toContain('/requestBody/a');
  });

  test('when a request is made for the library, then HEAD is routed as GET and repeated headers are one string', () => {
    expect(libraryRequest({ method: 'HEAD', path: '/healthz', headers: { 'x-a': ['1', '2'], host: 'h', gone: undefined } })).toEqual({
      method: 'GET',
      path: '/healthz',
      headers: { 'x-a': '1, 2', host: 'h' },
      query: {},
    });
  });

  test('when an operation takes only a body of another media type, then the library validates nothing of it, and validateOtherBody does, by its declared schema', async () => {
    const definition: Document = structuredClone(DEFINITION);
    definition.paths!['/thing']!.post!.requestBody = { required: true, content: { 'application/hl7-v2': { schema: { type: 'string', minLength: 1 } } } };
    const api = new OpenAPIBackend({ definition, strict: true, validate: true, customizeAjv, securityHandlers: { one: () => true } });
    api.validateDefinition = () => api.document;
    let context: Context | undefined;
    api.register({ postThing: (c: Context) => ((context = c), 'handled'), validationFail: () => 'refused', unauthorizedHandler: () => 'unauthorized' });
    await api.init();
    // The library passes a missing body and a number straight to the handler.
    expect(await api.handleRequest({ ...request(undefined), query: {} })).toBe('handled');
    expect(await api.handleRequest({ ...request(undefined), query: {}, body: JSON.stringify(5) })).toBe('handled');
    const refusal = (body: unknown) => {
      try {
        validateOtherBody(context!, 'application/hl7-v2', body);
        return undefined;
      } catch (err) {
        return err instanceof AppError ? err.details.map((d) => [d.loc, d.type]) : err;
      }
    };
    expect(refusal(undefined)).toEqual([[['body'], 'value_error.missing']]);
    expect(refusal('')).toEqual([[['body'], 'value_error.any_str.min_length']]);
    expect(refusal(5)).toEqual([[['body'], 'type_error.str']]);
    expect(refusal('MSH|...')).toBeUndefined();
  });
});
