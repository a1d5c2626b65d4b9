import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFerretDb, type LocalDatabase } from '../../src/localdb/ferretdb';
import { anEvent } from '../helpers/builders';
import { post, send } from '../helpers/http';
import { aPartner } from '../helpers/partners';
import { freePort } from '../helpers/freePort';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

// This file stops its database, so it runs one of its own rather than the shared one.
let dir: string;
let port: number;
let db: LocalDatabase;
let app: TestApp;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'appointment-webhooks-outage-'));
  port = await freePort();
  db = await startFerretDb({ dataDir: dir, port });
  app = await startTestApp({ dbName: dbNameFor(__filename), uri: db.uri });
});
afterAll(async () => {
  await app.stop();
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function timedPost(tag: string) {
  const started = performance.now();
  const res = await app.post(anEvent({ appointment_id: tag }));
  return { res, ms: performance.now() - started };
}

describe('database outages', () => {
  test('when the database is killed, then requests end within 3 s with 503 and Retry-After, and the service serves again once it is back, without a restart', async () => {
    const before = await timedPost('before');
    expect(before.res.status).toBe(201);

    await db.kill();
    const live = await send(`${app.url}/healthz`, { method: 'GET' });
    expect(live.status).toBe(200);
    const readyStarted = performance.now();
    const ready = await send(`${app.url}/readyz`, { method: 'GET' });
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toBe('5');
    expect(ready.body).toEqual({ status: 'error', message: 'Service temporarily unavailable', errors: [] });
    expect(performance.now() - readyStarted).toBeLessThan(3000);
    const during = [];
    for (let i = 0; i < 4; i++) during.push(await timedPost(`during-${i}`));
    for (const { res, ms } of during) {
      expect(res.status).toBe(503);
      expect(ms).toBeLessThan(3000);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.body).toEqual({ status: 'error', message: 'Service temporarily unavailable', errors: [] });
    }

    db = await startFerretDb({ dataDir: dir, port });
    const acked: string[] = ['before'];
    let recovered = false;
    for (let i = 0; i < 20 && !recovered; i++) {
      const { res, ms } = await timedPost(`after-${i}`);
      expect(ms).toBeLessThan(3000);
      expect([201, 503]).toContain(res.status);
      if (res.status === 201) {
        acked.push(`after-${i}`);
        recovered = true;
      }
    }
    expect(recovered).toBe(true);
    expect((await send(`${app.url}/readyz`, { method: 'GET' })).status).toBe(200);

    // Every 201 is stored; nothing answered 503 was.
    const stored = await app.events.distinct('appointment_id');
    expect(stored.sort()).toEqual(acked.sort());
  });

  test('when the database is down and a key is not cached yet, then 503 rather than 401', async () => {
    const { auth } = await aPartner(app.partners);
    await db.kill();
    try {
      const started = performance.now();
      const res = await post(app.endpoint, anEvent(), auth);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(performance.now() - started).toBeLessThan(3000);
    } finally {
      db = await startFerretDb({ dataDir: dir, port });
    }
  });

  test('when the database hangs without closing connections, then requests still end within 3 s with 503, and serve again when it resumes', async () => {
    expect((await timedPost('warm-up')).res.status).toBe(201);

    process.kill(db.pid, 'SIGSTOP');
    try {
      const during = await Promise.all([0, 1, 2].map((i) => timedPost(`frozen-${i}`)));
      for (const { res, ms } of during) {
        expect(res.status).toBe(503);
        expect(ms).toBeLessThan(3000);
        expect(res.headers.get('retry-after')).toBe('5');
      }
    } finally {
      process.kill(db.pid, 'SIGCONT');
    }

    let status = 0;
    for (let i = 0; i < 20 && status !== 201; i++) {
      const { res, ms } = await timedPost(`thawed-${i}`);
      expect(ms).toBeLessThan(3000);
      status = res.status;
    }
    expect(status).toBe(201);
  });
});
