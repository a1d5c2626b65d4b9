import type { OpenAPIBackend } from 'openapi-backend';
import { replyContract, type SentReply } from '../../src/http/replyContract';
import { specApi } from '../helpers/specApi';

let check: (operationId: Parameters<ReturnType<typeof replyContract>>[0], reply: SentReply) => string[];
beforeAll(async () => {
  const api: OpenAPIBackend = await specApi();
  check = replyContract(api);
});

const ok = { status: 200, contentType: 'application/json', body: { status: 'ok' }, headers: { 'X-Request-Id': 'r' } };
const envelope = { status: 'error', message: 'Not found', errors: [] };

describe('replyContract', () => {
  test('when a reply is as the spec declares, then there is nothing to report', () => {
    expect(check('getLiveness', ok)).toEqual([]);
  });

  test('when the status is not declared for the operation, then it says so', () => {
    expect(check('getLiveness', { ...ok, status: 201 })).toEqual(['status 201 is not declared']);
  });

  test('when the body breaks the schema, then the location and rule are named, never the value', () => {
    const problems = check('getLiveness', { ...ok, body: { status: 'SECRET-VALUE' } });
    expect(problems).toEqual([expect.stringMatching(/^body\/status /)]);
    expect(problems.join()).not.toContain('SECRET-VALUE');
  });

  test('when a header the service set is not declared for that status, then it is named', () => {
    expect(check('getLiveness', { ...ok, headers: { ...ok.headers, RateLimit: '"partner";r=1;t=0' } })).toEqual(['header ratelimit is not declared']);
  });

  test('when the media type is not one the status declares, then it says so', () => {
    expect(check('getLiveness', { ...ok, contentType: 'text/plain', body: 'ok' })).toEqual(['text/plain is not declared for status 200']);
  });

  test('when a text reply is declared, then its body must be text', () => {
    expect(check('getDocs', { status: 200, contentType: 'text/html', body: '<html></html>', headers: {} })).toEqual([]);
    expect(check('getDocs', { status: 200, contentType: 'text/html', body: { page: 1 }, headers: {} })).toEqual([expect.stringMatching(/^body must be string/)]);
  });

  test('when the spec is served as YAML, then the document it holds is checked like the JSON one', () => {
    expect(check('getOpenApiYaml', { status: 200, contentType: 'application/yaml', body: { openapi: '3.1.0', info: {}, paths: {} }, headers: {} })).toEqual([]);
    expect(check('getOpenApiYaml', { status: 200, contentType: 'application/yaml', body: { info: {} }, headers: {} }).length).toBeGreaterThan(0);
  });

  test('when a request matched no operation, then the reply must be the error envelope', () => {
    expect(check(undefined, { status: 404, contentType: 'application/json', body: envelope, headers: {} })).toEqual([]);
    expect(check(undefined, { status: 404, contentType: 'text/html', body: '<h1>404</h1>', headers: {} }).length).toBeGreaterThan(0);
  });
});
