import { send } from '../helpers/http';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename) });
});
afterAll(() => app.stop());

describe('health endpoints', () => {
  test.each(['/healthz', '/readyz'])('when GET %s is called without a key, then 200 {"status":"ok"}', async (path) => {
    const res = await send(app.url + path, { method: 'GET' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  test.each(['/healthz', '/readyz'])('when %s is POSTed to, then 405 with Allow: GET, HEAD', async (path) => {
    const res = await send(app.url + path, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  test.each(['/healthz', '/readyz', '/docs', '/openapi.yaml', '/openapi.json'])(
    'when HEAD %s is asked (as health checks and caches do), then it answers as GET does, without a body',
    async (path) => {
      const get = await send(app.url + path, { method: 'GET' });
      const head = await send(app.url + path, { method: 'HEAD' });
      expect(get.status).toBe(200);
      expect(head.status).toBe(200);
      expect(head.text).toBe('');
      expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
      expect(head.headers.get('content-length')).toBe(get.headers.get('content-length'));
      expect(head.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    },
  );

  test('when the other workers of the instance have not all started, then /readyz answers 503 while /healthz answers 200', async () => {
    let everyWorkerStarted = false;
    const worker = await startTestApp({ dbName: dbNameFor(__filename), ready: () => everyWorkerStarted });
    try {
      const early = await send(`${worker.url}/readyz`, { method: 'GET' });
      expect(early.status).toBe(503);
      expect(early.body).toMatchObject({ status: 'error', message: 'Service temporarily unavailable' });
      expect((await send(`${worker.url}/healthz`, { method: 'GET' })).status).toBe(200);
      everyWorkerStarted = true;
      expect((await send(`${worker.url}/readyz`, { method: 'GET' })).status).toBe(200);
    } finally {
      await worker.stop();
    }
  });
});
