import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anEvent } from '../helpers/builders';
import { runBuiltServer, startBuiltServer, stopBuiltServers, type BuiltServer } from '../helpers/builtServer';
import { freePort } from '../helpers/freePort';
import { rawRequest } from '../helpers/http';
import { registerOnDatabase } from '../helpers/partners';
import { dbNameFor, testDatabaseUri } from '../helpers/testApp';

/*
 * WORKERS=2 runs the built entry point as `npm start` does: a primary and two workers sharing
 * one port. Each request below opens its own connection, which the cluster hands to the
 * workers in turn, so both serve.
 */
const KEY = /apptwh_[A-Za-z0-9_-]{43}/;
const METRICS_TOKEN = 'workers-test-metrics-token';
const EVENTS = 24;

afterEach(() => stopBuiltServers());

/** One request on a connection of its own (Connection: close), so the cluster may pick either worker. */
function alone(url: string, method: string, headers: Record<string, string>, body?: unknown) {
  return rawRequest(url, { method, headers: { Connection: 'close', ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

function sendEvents(server: BuiltServer, apiKey: string) {
  return Promise.all(
    Array.from({ length: EVENTS }, () => alone(`${server.url}/webhook/appointment`, 'POST', { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' }, anEvent())),
  );
}

/** The workers that logged a stored event, by worker id. */
function workersThatStored(server: BuiltServer): Set<unknown> {
  return new Set(server.logs().filter((line) => line.operation === 'receiveAppointmentEvent' && line.status === 201).map((line) => line.worker));
}

function stored(metricsText: string): number {
  return Number(/^webhook_events_stored_total (\d+)$/m.exec(metricsText)?.[1]);
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

describe('WORKERS', () => {
  test('when WORKERS=2 runs on the local database, then the database starts once, both workers serve, /metrics sums them, and SIGTERM stops everything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'appointment-webhooks-workers-'));
    const dbPort = await freePort();
    try {
      const server = runBuiltServer({ WORKERS: '2', PORT: String(await freePort()), LOCAL_DB_PORT: String(dbPort), LOCAL_DB_DIR: dir, METRICS_TOKEN });
      await server.waitFor(() => server.logs().some((line) => line.msg === 'every worker is listening') && KEY.test(server.stderr()), 'both workers listening and the local key printed');
      const apiKey = KEY.exec(server.stderr())![0];
      expect(server.stderr().match(/Its API key, shown this once/g)).toHaveLength(1);
      expect(server.logs().filter((line) => line.msg === 'MONGODB_URI is not set: starting the local database')).toHaveLength(1);

      const replies = await sendEvents(server, apiKey);
      expect(replies.map((r) => r.status)).toEqual(replies.map(() => 201));
      expect(new Set(replies.map((r) => (r.body as { event_id: number }).event_id)).size).toBe(EVENTS);
      await server.waitFor(() => workersThatStored(server).size === 2, 'request log lines from both workers');

      // Whichever worker answers, the figures are those of both.
      for (let i = 0; i < 4; i++) {
        const metrics = await alone(`${server.url}/metrics`, 'GET', { Authorization: `Bearer ${METRICS_TOKEN}` });
        expect(metrics.status).toBe(200);
        expect(stored(String(metrics.body))).toBe(EVENTS);
      }
      expect((await alone(`${server.url}/readyz`, 'GET', {})).status).toBe(200);

      expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      expect(server.logs().filter((line) => line.msg === 'stopped' && line.worker !== undefined).map((line) => line.worker).sort()).toEqual([1, 2]);
      expect(await accepts(dbPort)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  test('when a worker dies, then a new one takes its place and the port keeps answering', async () => {
    const dbName = dbNameFor(__filename);
    const { apiKey } = await registerOnDatabase(testDatabaseUri(), dbName);
    const server = await startBuiltServer({ WORKERS: '2', PORT: String(await freePort()), MONGODB_URI: testDatabaseUri(), MONGODB_DB: dbName });
    await server.waitFor(() => server.logs().some((line) => line.msg === 'every worker is listening'), 'both workers listening');
    const first = server.logs().find((line) => line.msg === 'listening' && line.worker === 1);
    expect(typeof first?.pid).toBe('number');

    process.kill(first!.pid as number, 'SIGKILL');
    await server.waitFor(() => server.logs().some((line) => line.msg === 'listening' && line.worker === 3), 'a third worker listening');
    expect(server.logs().find((line) => line.msg === 'a worker exited')).toMatchObject({ worker: 1, signal: 'SIGKILL' });

    const replies = await sendEvents(server, apiKey);
    expect(replies.map((r) => r.status)).toEqual(replies.map(() => 201));
    expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 90_000);

  test('when workers keep crashing, then the primary stops the instance and exits 1, for the orchestrator to see', async () => {
    const dbName = dbNameFor(__filename);
    const server = await startBuiltServer({ WORKERS: '2', PORT: String(await freePort()), MONGODB_URI: testDatabaseUri(), MONGODB_DB: dbName });
    await server.waitFor(() => server.logs().some((line) => line.msg === 'every worker is listening'), 'both workers listening');
    // Six crashes within the minute: the sixth is one too many.
    for (let crash = 1; crash <= 6; crash++) {
      const victim = server.logs().filter((line) => line.msg === 'listening' && typeof line.pid === 'number').at(-1)!;
      process.kill(victim.pid as number, 'SIGKILL');
      if (crash < 6) await server.waitFor(() => server.logs().some((line) => line.msg === 'listening' && line.worker === 2 + crash), `worker ${2 + crash} listening`);
    }
    const exit = await server.exit(30_000);
    expect(exit.code).toBe(1);
    expect(server.logs().filter((line) => line.msg === 'a worker exited')).toHaveLength(6);
    expect(server.logs().some((line) => line.msg === 'workers keep crashing; stopping the instance')).toBe(true);
  }, 120_000);

  test('when the instance is stopped while its workers are still starting, then they stop as soon as they can and it exits 0', async () => {
    // A worker finishes starting before it stops; on a loaded machine that has taken over the 6 s
    // a 5 s SHUTDOWN_TIMEOUT_MS allows before the primary kills it, which is not what this tests.
    const server = runBuiltServer({ WORKERS: '2', PORT: String(await freePort()), MONGODB_URI: testDatabaseUri(), MONGODB_DB: dbNameFor(__filename), SHUTDOWN_TIMEOUT_MS: '20000' });
    await server.waitFor(() => server.logs().some((line) => line.msg === 'starting workers'), 'the primary starting its workers');
    expect(await server.stop('SIGTERM', 45_000)).toEqual({ code: 0, signal: null });
    expect(server.logs().some((line) => line.msg === 'every worker is listening')).toBe(false);
  }, 90_000);

  test('when a worker cannot start, then the primary stops the others and exits 1', async () => {
    // Nothing listens on this port: every worker fails to reach the database.
    const server = runBuiltServer({ WORKERS: '2', PORT: String(await freePort()), MONGODB_URI: `mongodb://127.0.0.1:${await freePort()}/?serverSelectionTimeoutMS=500`, DB_TIMEOUT_MS: '500' });
    const exit = await server.exit(60_000);
    expect(exit.code).toBe(1);
    expect(server.logs().some((line) => line.msg === 'start-up failed' && line.worker === undefined)).toBe(true);
  }, 90_000);
});
