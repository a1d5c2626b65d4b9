import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anEvent } from '../helpers/builders';
import { aConsumer } from '../helpers/consumers';
import { spec } from '../helpers/spec';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';
import { sleep } from '../helpers/time';

interface Sample {
  lang: 'Shell' | 'JavaScript';
  label: string;
  source: string;
}

let app: TestApp;
let token: string;
let dir: string;

beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename), config: { feedSequencer: true, feedIntervalMs: 20 } });
  token = (await aConsumer(app.stores.consumers)).token;
  dir = mkdtempSync(join(tmpdir(), 'consuming-'));
});
afterAll(async () => {
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sampleOf = (path: string): Sample => {
  const samples: Sample[] = spec.paths[path].get['x-codeSamples'];
  expect(samples).toHaveLength(1);
  return samples[0]!;
};

/** Runs a published sample as a consumer would, in `dir`, with only the documented variables. */
function run(sample: Sample): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = join(dir, sample.lang === 'Shell' ? 'sample.sh' : 'sample.js');
  writeFileSync(file, sample.source);
  const [command, args] = sample.lang === 'Shell' ? ['bash', [file]] : [process.execPath, [file]];
  const env = { PATH: process.env.PATH ?? '', RECEIVER_URL: app.url, CONSUMER_TOKEN: token, PARTNER: app.partner };
  return new Promise((resolve) => {
    execFile(command, args, { cwd: dir, env, encoding: 'utf8', timeout: 20000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Waits until the feed holds `count` events (the sequencer places them just after their 201). */
async function feedHolds(count: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const res = await fetch(`${app.url}/feed?limit=500`, { headers: { Authorization: `Bearer ${token}` } });
    if (((await res.json()) as { data: unknown[] }).data.length >= count) return;
    await sleep(20);
  }
  throw new Error(`the feed did not reach ${count} events`);
}

describe('the samples of the Consuming events part', () => {
  test('when the published samples run against the service, then each reads what was stored, and the feed sample carries on from its cursor file', async () => {
    const booked = (await app.post(anEvent({ appointment_id: 'A12345', timestamp: '2025-01-06T09:00:00Z' }))).body.event_id;
    const cancelled = (await app.post(anEvent({ appointment_id: 'A12345', event_type: 'appointment.cancelled', timestamp: '2025-01-09T08:15:00Z' }))).body.event_id;
    await feedHolds(2);

    const listed = await run(sampleOf('/events'));
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(listed.stdout).data.map((e: { event_id: number }) => e.event_id)).toEqual([booked, cancelled]);

    const state = await run(sampleOf('/appointments/{partner}/{appointment_id}'));
    expect(state.code).toBe(0);
    expect(JSON.parse(state.stdout)).toMatchObject({ appointment_id: 'A12345', status: 'cancelled', event_count: 2, flags: [] });

    const feed = sampleOf('/feed');
    const first = await run(feed);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout.trim().split('\n').map((line) => JSON.parse(line).event_id)).toEqual([booked, cancelled]);
    expect(readFileSync(join(dir, 'feed-cursor.txt'), 'utf8')).toMatch(/^f1-\d+-\d+$/);

    const later = (await app.post(anEvent())).body.event_id;
    await feedHolds(3);
    const second = await run(feed);
    expect(second.stdout.trim().split('\n').map((line) => JSON.parse(line).event_id)).toEqual([later]);
    expect((await run(feed)).stdout).toBe('');
  });

  test('when the token is wrong, then the samples fail loudly instead of printing nothing', async () => {
    const saved = token;
    token = 'apptrd_wrong';
    try {
      const listed = await run(sampleOf('/events'));
      expect(listed.code).not.toBe(0);
      const feed = await run(sampleOf('/feed'));
      expect(feed.code).toBe(1);
      expect(feed.stderr).toContain('401');
    } finally {
      token = saved;
    }
  });
});
