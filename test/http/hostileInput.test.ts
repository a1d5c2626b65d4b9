import { anEvent } from '../helpers/builders';
import { rawRequest, rawSocket } from '../helpers/http';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';
import { eventFields } from '../helpers/spec';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename), config: { requestTimeoutMs: 1000 } });
});
afterAll(() => app.stop());
beforeEach(() => app.clear());
// Whatever a hostile request does, it leaves nothing behind.
afterEach(async () => expect(await app.events.countDocuments()).toBe(0));

const valid = () => JSON.stringify(anEvent()).slice(1, -1); // the fields, without braces

describe('hostile input', () => {
  test('when a 10 MB body is streamed with an honest Content-Length, then 413 comes back without the service reading it all', async () => {
    const started = performance.now();
    const res = await rawRequest(app.endpoint, {
      headers: { ...app.auth, 'Content-Type': 'application/json', 'Content-Length': String(10 * 1024 * 1024) },
      body: Buffer.alloc(70 * 1024, 0x20),
    });
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe('close');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  test('when a chunked body runs on past 64 KiB, then 413 and the connection is closed', async () => {
    const chunk = 'x'.repeat(16 * 1024);
    const chunked = Array.from({ length: 8 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('');
    const res = await rawSocket(
      app.url,
      `POST /webhook/appointment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${app.apiKey}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}0\r\n\r\n`,
    );
    expect(res.status).toBe(413);
  });

  test('when JSON nests thousands of levels deep, then 400 and the service keeps serving', async () => {
    const deep = `{${valid()},"x":${'['.repeat(30000)}${']'.repeat(30000)}}`;
    const res = await app.post(deep);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].type).toBe('value_error.jsondecode.too_deep');
    expect((await app.post(anEvent())).status).toBe(201);
    await app.events.deleteMany({});
  });

  test.each([
    ['a huge integer', '1' + '0'.repeat(400)],
    ['an overflowing float', '1e999'],
    ['a huge negative', '-1e309'],
  ])('when a field holds %s, then 422 "str type expected"', async (_case, number) => {
    const res = await app.post(`{${valid().replace(/"patient_id":"[^"]*"/, `"patient_id":${number}`)}}`);
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ loc: ['body', 'patient_id'], msg: 'str type expected', type: 'type_error.str' }]);
  });

  test.each([
    ['a repeated field', (v: string) => `{${v},"patient_id":"P-OTHER"}`, 'duplicate_key'],
    ['a repeated field spelt with an escape', (v: string) => `{${v},"patient\\u005fid":"P-OTHER"}`, 'duplicate_key'],
    ['a __proto__ key', (v: string) => `{${v},"__proto__":{"isAdmin":true}}`, 'forbidden_key'],
    ['a constructor.prototype chain', (v: string) => `{${v},"constructor":{"prototype":{"x":1}}}`, 'forbidden_key'],
    ['a $where key', (v: string) => `{${v},"$where":"sleep(1000)"}`, 'forbidden_key'],
  ])('when the body has %s, then 400 and nothing is stored', async (_case, build, hazard) => {
    const res = await app.post(build(valid()));
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ loc: ['body'], type: `value_error.jsondecode.${hazard}` })]);
  });

  test.each(eventFields())(
    'when %s holds a MongoDB operator object, then 422 "str type expected" and nothing is stored',
    async (field) => {
      const res = await app.post(anEvent({ [field]: { $gt: '' } }));
      expect(res.status).toBe(422);
      expect(res.body.errors).toEqual([{ loc: ['body', field], msg: 'str type expected', type: 'type_error.str' }]);
    },
  );

  test('when an unknown field holds an operator object, then it is ignored like any unknown field: never stored', async () => {
    const res = await app.post(anEvent({ extra: { $gt: '', __proto__: { admin: true } } }));
    expect(res.status).toBe(201);
    const stored = await app.events.findOne({ event_id: res.body.event_id });
    expect(stored).not.toHaveProperty('extra');
    expect(JSON.stringify(stored)).not.toContain('$gt');
    await app.events.deleteMany({});
  });

  test.each([
    ['a lone continuation byte', [0x80]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['a surrogate half', [0xed, 0xa0, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
  ])('when the body has invalid UTF-8 (%s), then 400', async (_case, bytes) => {
    const body = Buffer.concat([Buffer.from(`{${valid()},"notes":"`), Buffer.from(bytes), Buffer.from('"}')]);
    const res = await rawRequest(app.endpoint, { headers: { ...app.auth, 'Content-Type': 'application/json', 'Content-Length': String(body.length) }, body });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].msg).toBe('body is not valid UTF-8');
  });

  test('when the body arrives slower than the request timeout, then 408 and nothing is stored', async () => {
    const res = await rawSocket(
      app.url,
      `POST /webhook/appointment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${app.apiKey}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{${valid()}`,
    );
    expect(res.status).toBe(408);
  });

  test('when Content-Length claims less than is sent, then the truncated body is refused with 400 and nothing is stored', async () => {
    const body = JSON.stringify(anEvent());
    const res = await rawSocket(
      app.url,
      `POST /webhook/appointment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${app.apiKey}\r\nContent-Type: application/json\r\nContent-Length: 10\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(res.status).toBe(400);
  });

  test('when Content-Length is missing and the body is not chunked, then the body is empty and 422 says it is required', async () => {
    const res = await rawSocket(
      app.url,
      `POST /webhook/appointment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${app.apiKey}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n`,
    );
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ loc: ['body'], msg: 'field required', type: 'value_error.missing' }]);
  });

  test('when Content-Length is given twice with different values, then 400', async () => {
    const res = await rawSocket(
      app.url,
      `POST /webhook/appointment HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 30\r\n\r\n{}`,
    );
    expect(res.status).toBe(400);
  });

  test('when any response is sent, then security headers are set and X-Powered-By is not', async () => {
    const res = await app.post(anEvent({ event_type: 'nope' }));
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(res.headers.get('content-security-policy')).toBeTruthy();
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  test.each([
    ['a malformed absolute URL', 'GET http://[::1/healthz HTTP/1.1', 400, 'Malformed request'],
    ['the asterisk form', 'OPTIONS * HTTP/1.1', 404, 'Not found'],
  ])('when the request target is %s, then the envelope comes with an id, never a framework page', async (_case, line, status, message) => {
    const res = await rawSocket(app.url, `${line}\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ status: 'error', message, errors: [] });
    expect(res.headers).toMatch(/\r\nX-Request-Id: [0-9a-f-]{36}\r\n/i);
    expect(app.logs.some((l) => l.includes('"msg":"request rejected"') && l.includes(`"status":${status}`))).toBe(true);
  });
});
