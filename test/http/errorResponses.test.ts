// Over 200 lines: the one error envelope for every way a request can fail at the HTTP edge, all cases against one shared app.
import { anEvent } from '../helpers/builders';
import { rawRequest, rawSocket, send } from '../helpers/http';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

let app: TestApp;
let failing: TestApp;
beforeAll(async () => {
  const dbName = dbNameFor(__filename);
  app = await startTestApp({ dbName, config: { requestTimeoutMs: 1000 } });
  // The real store behind a fault: an unexpected exception with internals in its message.
  failing = await startTestApp({
    dbName,
    wrapStore: (store) => ({
      ...store,
      saveEvent: () => Promise.reject(new Error('internal detail: connection string mongodb://user:pw@db')),
    }),
  });
});
afterAll(async () => {
  await app.stop();
  await failing.stop();
});
beforeEach(() => app.clear());
afterEach(async () => expect(await app.events.countDocuments()).toBe(0));

function expectEnvelope(body: { status: string; message: string; errors: unknown[] }, message: string) {
  expect(Object.keys(body).sort()).toEqual(['errors', 'message', 'status']);
  expect(body.status).toBe('error');
  expect(body.message).toBe(message);
  expect(Array.isArray(body.errors)).toBe(true);
}

describe('error responses', () => {
  test.each([
    ['truncated JSON', '{"event_type": "appointment.scheduled", '],
    ['a bare word', 'appointment'],
    ['single quotes', "{'event_type': 'appointment.scheduled'}"],
    ['a trailing comma', '{"patient_id": "P8765",}'],
  ])('when the body is malformed JSON (%s), then 400 value_error.jsondecode without echoing it', async (_case, body) => {
    const res = await app.post(body);
    expect(res.status).toBe(400);
    expectEnvelope(res.body, 'Malformed JSON body');
    expect(res.body.errors).toEqual([{ loc: ['body'], msg: 'body is not valid JSON', type: 'value_error.jsondecode' }]);
    expect(res.text).not.toContain('appointment');
    expect(res.text).not.toContain('P8765');
  });

  test('when the body is not valid UTF-8, then 400 value_error.jsondecode', async () => {
    const body = Buffer.concat([Buffer.from('{"notes": "'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const res = await rawRequest(app.endpoint, { headers: { ...app.auth, 'Content-Type': 'application/json', 'Content-Length': String(body.length) }, body });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ loc: ['body'], msg: 'body is not valid UTF-8', type: 'value_error.jsondecode' }]);
  });

  test.each([
    ['text/plain', 'text/plain'],
    ['form encoding', 'application/x-www-form-urlencoded'],
    ['a JSON-like type', 'application/merge-patch+json'],
    ['another charset', 'application/json; charset=latin1'],
    ['a malformed header', 'application/json;;;=='],
  ])('when Content-Type is %s, then 415', async (_case, contentType) => {
    const res = await app.post(anEvent(), { 'Content-Type': contentType });
    expect(res.status).toBe(415);
    expectEnvelope(res.body, 'Unsupported media type');
    expect(res.body.errors[0].type).toBe('value_error.content_type');
  });

  test('when Content-Type is missing, then 415', async () => {
    const body = JSON.stringify(anEvent());
    const res = await rawRequest(app.endpoint, { headers: { ...app.auth, 'Content-Length': String(Buffer.byteLength(body)) }, body });
    expect(res.status).toBe(415);
    expect(res.body.message).toBe('Unsupported media type');
  });

  test('when the body is compressed, then 415 names the content encoding', async () => {
    const res = await app.post(anEvent(), { 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(415);
    expect(res.body.errors[0].loc).toEqual(['header', 'content-encoding']);
  });

  test('when the body is over 64 KiB, then 413 with the limit', async () => {
    const res = await app.post(anEvent({ padding: 'x'.repeat(65536) }));
    expect(res.status).toBe(413);
    expectEnvelope(res.body, 'Payload too large');
    expect(res.body.errors).toEqual([
      { loc: ['body'], msg: 'ensure the body has at most 65536 bytes', type: 'value_error.body.max_size', ctx: { limit_value: 65536 } },
    ]);
  });

  test('when the body is exactly 64 KiB, then it is accepted', async () => {
    const event = anEvent({ padding: '' });
    const base = JSON.stringify(event);
    const body = JSON.stringify({ ...event, padding: 'x'.repeat(65536 - Buffer.byteLength(base)) });
    expect(Buffer.byteLength(body)).toBe(65536);
    const res = await app.post(body);
    expect(res.status).toBe(201);
    await app.events.deleteMany({});
  });

  test('when a chunked body grows past 64 KiB without a Content-Length, then 413', async () => {
    const res = await rawRequest(app.endpoint, {
      headers: { ...app.auth, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      body: JSON.stringify(anEvent({ padding: 'x'.repeat(70000) })),
    });
    expect(res.status).toBe(413);
  });

  test.each(['/', '/webhook', '/webhook/appointments', '/webhook/appointment/extra', '/WEBHOOK/APPOINTMENT'])(
    'when the path %s is unknown, then 404',
    async (path) => {
      const res = await app.post(anEvent(), {}, app.url + path);
      expect(res.status).toBe(404);
      expectEnvelope(res.body, 'Not found');
    },
  );

  test.each(['GET', 'PUT', 'PATCH', 'DELETE'])('when the method is %s, then 405 with Allow: POST', async (method) => {
    const res = await send(app.endpoint, { method, ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}', headers: { 'Content-Type': 'application/json' } }) });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expectEnvelope(res.body, 'Method not allowed');
  });

  test('when HEAD is used where only POST is, then 405 with Allow: POST', async () => {
    const res = await send(app.endpoint, { method: 'HEAD' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  test('when an unexpected failure happens, then 500 with a generic message and no internals', async () => {
    const res = await failing.post(anEvent());
    expect(res.status).toBe(500);
    expectEnvelope(res.body, 'Internal server error');
    expect(res.body.errors).toEqual([]);
    expect(res.text).not.toMatch(/internal detail|mongodb:|stack|Error:|at /);
    const logged = failing.logs.map((line) => JSON.parse(line) as Record<string, unknown>).find((l) => l.status === 500);
    expect(logged).toMatchObject({ level: 50, error: 'internal' });
  });

  test.each([
    ['a garbage request line', 'HELLO THERE\r\n\r\n'],
    ['an unknown method', 'BREW /webhook/appointment HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['an invalid Content-Length', 'POST /webhook/appointment HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}'],
  ])('when Node cannot parse the HTTP message (%s), then 400 in the envelope', async (_case, data) => {
    const res = await rawSocket(app.url, data);
    expect(res.status).toBe(400);
    expect(res.headers).toMatch(/content-type: application\/json/i);
    expect(res.headers).toMatch(/x-request-id: [0-9a-f-]{36}/i);
    expectEnvelope(res.body, 'Malformed request');
  });

  test('when the headers are larger than 16 KiB, then 431 in the envelope', async () => {
    const res = await rawSocket(app.url, `POST /webhook/appointment HTTP/1.1\r\nHost: x\r\nX-Filler: ${'y'.repeat(20000)}\r\n\r\n`);
    expect(res.status).toBe(431);
    expectEnvelope(res.body, 'Request header fields too large');
  });

  test('when the body arrives slower than the request timeout, then 408 in the envelope and nothing is stored', async () => {
    const started = Date.now();
    const res = await rawSocket(app.url, `POST /webhook/appointment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${app.apiKey}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"event_type": `);
    expect(res.status).toBe(408);
    expectEnvelope(res.body, 'Request timeout');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('when any error is answered, then it carries X-Request-Id and a JSON content type', async () => {
    const res = await app.post(anEvent(), {}, app.url + '/nowhere');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });
});

describe('HTTP at the edges', () => {
  test('when a malformed request is pipelined behind a valid one, then the valid one still gets its 201, and the connection closes after it', async () => {
    const body = JSON.stringify(anEvent({ appointment_id: 'pipelined-good' }));
    const res = await rawSocket(
      app.endpoint,
      `POST /webhook/appointment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${app.apiKey}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}` +
        'GARBAGE\r\n\r\n',
    );
    expect(res.status).toBe(201);
    expect(res.headers).not.toMatch(/ 400 /);
    expect(await app.events.countDocuments({ appointment_id: 'pipelined-good' })).toBe(1);
    await app.events.deleteMany({});
  });

  test('when an HTTP/1.1 request carries no Host, then 400 in the envelope, naming the header', async () => {
    const res = await rawSocket(app.url, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(res.status).toBe(400);
    expectEnvelope(res.body, 'Malformed request');
    expect(res.body.errors).toEqual([{ loc: ['header', 'host'], msg: 'an HTTP/1.1 request must carry a Host header', type: 'value_error.missing' }]);
    expect(res.headers).toMatch(/x-request-id: [0-9a-f-]{36}/i);
  });

  test('when CONNECT asks for a tunnel, then 400 in the envelope and the connection closes', async () => {
    const res = await rawSocket(app.url, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    expect(res.status).toBe(400);
    expectEnvelope(res.body, 'Malformed request');
  });
});
