import { connect } from 'node:net';
import { generateApiKey } from '../../src/auth/credentials';
import { anEvent } from '../helpers/builders';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename) });
});
afterAll(() => app.stop());
beforeEach(() => app.clear());

/**
 * A client that sends its headers, waits for the server's first answer as RFC 9110 tells a
 * client sending `Expect` to, sends the body only after a 100 Continue, and reads to the end.
 */
function expecting(expect: string, key: string, body: string): Promise<{ first: string; all: string }> {
  const target = new URL(app.endpoint);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.hostname, port: Number(target.port) });
    let all = '';
    let first: string | undefined;
    socket.on('connect', () =>
      socket.write(
        [
          `POST ${target.pathname} HTTP/1.1`,
          `Host: ${target.host}`,
          `Authorization: Bearer ${key}`,
          'Content-Type: application/json',
          `Content-Length: ${Buffer.byteLength(body)}`,
          `Expect: ${expect}`,
          'Connection: close',
          '',
          '',
        ].join('\r\n'),
      ),
    );
    socket.on('data', (chunk: Buffer) => {
      all += chunk.toString();
      if (first === undefined) {
        first = all.split('\r\n')[0]!;
        if (first.includes(' 100 ')) socket.write(body);
      }
    });
    // An expectation the server ignores gets no interim answer: send the body after a moment.
    const fallback = setTimeout(() => first === undefined && socket.write(body), 300);
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(fallback);
      resolve({ first: first ?? '', all });
    });
  });
}

describe('Expect: 100-continue', () => {
  test('when the key is not valid, then the answer is a 401 without any 100 Continue, and the body is never asked for', async () => {
    const res = await expecting('100-continue', generateApiKey(), JSON.stringify(anEvent()));
    expect(res.first).toBe('HTTP/1.1 401 Unauthorized');
    expect(res.all).not.toContain('100 Continue');
    expect(await app.events.countDocuments()).toBe(0);
  });

  test('when the key is valid, then 100 Continue comes first, and the body sent after it is stored', async () => {
    const res = await expecting('100-continue', app.apiKey, JSON.stringify(anEvent()));
    expect(res.first).toBe('HTTP/1.1 100 Continue');
    expect(res.all).toContain('HTTP/1.1 201 Created');
    expect(await app.events.countDocuments()).toBe(1);
  });

  test('when the expectation is one the server does not know, then it is ignored and the request is served (RFC 9110 allows either)', async () => {
    const res = await expecting('something-else', app.apiKey, JSON.stringify(anEvent()));
    expect(res.first).toBe('HTTP/1.1 201 Created');
    expect(await app.events.countDocuments()).toBe(1);
  });
});
