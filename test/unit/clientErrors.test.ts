import { PassThrough } from 'node:stream';
import pino from 'pino';
import type { SentReply } from '../../src/http/replyContract';
import { clientErrorHandler, connectHandler } from '../../src/http/clientErrors';

function socket() {
  const stream = new PassThrough();
  let written = '';
  stream.on('data', (chunk: Buffer) => (written += chunk.toString()));
  return { stream, written: () => written };
}

describe('answers written straight to the socket', () => {
  test.each([
    ['HPE_HEADER_OVERFLOW', 431],
    ['ERR_HTTP_REQUEST_TIMEOUT', 408],
    ['HPE_INVALID_METHOD', 400],
  ])('when Node rejects a request with %s, then the %i envelope is written and shown to the reply check first', async (code, status) => {
    const seen: SentReply[] = [];
    const { stream, written } = socket();
    clientErrorHandler(pino({ level: 'silent' }), { retryAfterSeconds: 5, witness: (reply) => seen.push(reply) })(Object.assign(new Error('parse'), { code }), stream);
    await new Promise((r) => setImmediate(r));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ status, contentType: 'application/json', body: { status: 'error' } });
    const requestId = seen[0]!.headers['X-Request-Id'];
    expect(written()).toContain(`HTTP/1.1 ${status} `);
    expect(written()).toContain(`X-Request-Id: ${requestId}`);
  });

  test('when CONNECT asks for a tunnel, then its 400 is shown to the reply check too', () => {
    const seen: SentReply[] = [];
    const { stream } = socket();
    connectHandler(pino({ level: 'silent' }), { retryAfterSeconds: 5, witness: (reply) => seen.push(reply) })(undefined as never, stream);
    expect(seen.map((r) => r.status)).toEqual([400]);
  });
});
