// Over 200 lines: the one command through its output, checkpoints, following, signals, and each way it refuses.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConsumerClient, type FeedEvent } from '../../src/client/consumerClient';
import { PROJECT_ROOT } from '../../src/paths';
import { anEvent } from '../helpers/builders';
import { aConsumer } from '../helpers/consumers';
import { feedWarmedUp } from '../helpers/feedWarmUp';
import { aFlakyProxy } from '../helpers/flakyProxy';
import { aPartner } from '../helpers/partners';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';
import { sleep, within } from '../helpers/time';

// The built CLI (npm test builds first), exactly as `npm run feed --` runs it. It is started
// asynchronously: the service it reads runs in this process.
const CLI = join(PROJECT_ROOT, 'dist', 'src', 'cli', 'feed.js');

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

const running = new Set<ReturnType<typeof startCli>>();

function startCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (err += text));
  const finished = new Promise<Finished>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, out, err })));
  const run = {
    lines: () => out.split('\n').filter((line) => line !== ''),
    err: () => err,
    /** Waits for the process to end; kills it and fails if it has not within `timeoutMs`. */
    finished: async (timeoutMs = 20_000): Promise<Finished> => {
      const result = await within(finished, timeoutMs);
      if (result) return result;
      child.kill('SIGKILL');
      throw new Error(`the feed command did not end within ${timeoutMs} ms; stdout:\n${out}\nstderr:\n${err}`);
    },
    stop: (signal: NodeJS.Signals) => {
      child.kill(signal);
      return run.finished(10_000);
    },
  };
  running.add(run);
  void finished.then(() => running.delete(run));
  return run;
}

const cli = (args: string[], env: Record<string, string>) => startCli(args, env).finished();

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await sleep(20);
  }
}

let app: TestApp;
let dir: string;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename), config: { feedSequencer: true, feedIntervalMs: 20, feedChunkSize: 3 } });
  await feedWarmedUp(app);
  dir = mkdtempSync(join(tmpdir(), 'feed-cli-'));
}, 90_000);
afterEach(async () => {
  await Promise.all([...running].map((run) => run.stop('SIGKILL').catch(() => undefined)));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await app.stop();
});

let files = 0;
const aCheckpointFile = () => join(dir, `cursor-${++files}`);

/** A partner of its own, and a consumer token that reads only it, so the whole feed of that token is this partner's events. */
async function aReader() {
  const partner = await aPartner(app.partners);
  const { token } = await aConsumer(app.stores.consumers, { partners: [partner.name] });
  const client = createConsumerClient({ baseUrl: app.url, token });
  const feed = async () => {
    const all: FeedEvent[] = [];
    for await (const event of client.feed()) all.push(event);
    return all;
  };
  const placed = new Set<number>();
  /** Stores `count` events, and waits until the feed has placed them. */
  const store = async (count: number) => {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) ids.push((await app.post(anEvent(), partner.auth)).body.event_id);
    const deadline = Date.now() + 20_000;
    while (!ids.every((id) => placed.has(id))) {
      if (Date.now() > deadline) throw new Error(`events ${ids.join(', ')} not all in the feed after 20 s`);
      for (const event of await feed()) placed.add(event.event_id);
      await sleep(20);
    }
    return ids;
  };
  return { partner, token, client, feed, store, env: { FEED_TOKEN: token } };
}

describe('npm run feed', () => {
  test('when the feed is printed, then stdout is one JSON line per event, exactly the feed in its order, and nothing else', async () => {
    const reader = await aReader();
    const ids = await reader.store(5);
    const result = await cli(['--limit', '2', '--url', app.url], reader.env);
    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    const feed = await reader.feed();
    expect(feed.map((e) => e.event_id)).toEqual(ids);
    expect(result.out).toBe(feed.map((event) => `${JSON.stringify(event)}\n`).join(''));
  });

  test('when no --url is given, then it reads http://127.0.0.1:$PORT', async () => {
    const reader = await aReader();
    const ids = await reader.store(1);
    const result = await cli([], { ...reader.env, PORT: new URL(app.url).port });
    expect(result.code).toBe(0);
    expect(result.out.split('\n').filter(Boolean).map((line) => JSON.parse(line).event_id)).toEqual(ids);
  });

  test('when a checkpoint file is given, then each run prints only the events after the last, and the file is replaced, never left half-written', async () => {
    const reader = await aReader();
    const file = aCheckpointFile();
    const first = await reader.store(3);
    const run1 = await cli(['--checkpoint', file, '--limit', '2', '--url', app.url], reader.env);
    expect(run1.code).toBe(0);
    expect(run1.out.split('\n').filter(Boolean).map((line) => JSON.parse(line).event_id)).toEqual(first);
    const saved1 = readFileSync(file, 'utf8');
    expect(saved1).toMatch(/^[A-Za-z0-9_-]+\n$/);
    expect(await reader.client.feedPage({ after: saved1.trim() })).toEqual({ data: [], next_cursor: saved1.trim(), has_more: false });
    expect(readdirSync(dir).filter((name) => name.includes('.tmp'))).toEqual([]);

    const second = await reader.store(2);
    const run2 = await cli(['--checkpoint', file, '--url', app.url], reader.env);
    expect(run2.code).toBe(0);
    expect(run2.out.split('\n').filter(Boolean).map((line) => JSON.parse(line).event_id)).toEqual(second);
    expect(readFileSync(file, 'utf8')).not.toBe(saved1);

    const run3 = await cli(['--checkpoint', file, '--url', app.url], reader.env);
    expect(run3).toMatchObject({ code: 0, out: '' });
  });

  test('when following, then an event stored after it started is printed, and SIGTERM stops it with exit code 0 and the checkpoint saved', async () => {
    const reader = await aReader();
    const file = aCheckpointFile();
    const before = await reader.store(2);
    const run = startCli(['--follow', '--checkpoint', file, '--url', app.url], reader.env);
    await until(() => run.lines().length === 2, 'the two stored events printed');
    const later = await reader.store(1);
    await until(() => run.lines().length === 3, 'the event stored later printed');
    // At once: the page just printed has its checkpoint saved before the command ends.
    const result = await run.stop('SIGTERM');
    expect(result).toMatchObject({ code: 0, signal: null, err: '' });
    expect(run.lines().map((line) => JSON.parse(line).event_id)).toEqual([...before, ...later]);

    const cursor = readFileSync(file, 'utf8').trim();
    expect(await reader.client.feedPage({ after: cursor })).toMatchObject({ data: [], has_more: false });
    expect(await cli(['--checkpoint', file, '--url', app.url], reader.env)).toMatchObject({ code: 0, out: '' });
  });

  test('when following an empty feed, then SIGINT stops it with exit code 0, the cursor of the empty feed saved', async () => {
    const reader = await aReader();
    const file = aCheckpointFile();
    const run = startCli(['--follow', '--checkpoint', file, '--url', app.url], reader.env);
    await until(() => readdirSync(dir).includes(file.slice(dir.length + 1)), 'the checkpoint file written');
    const result = await run.stop('SIGINT');
    expect(result).toMatchObject({ code: 0, signal: null, out: '', err: '' });
    const later = await reader.store(1);
    const resumed = await cli(['--checkpoint', file, '--url', app.url], reader.env);
    expect(resumed.out.split('\n').filter(Boolean).map((line) => JSON.parse(line).event_id)).toEqual(later);
  });

  test('when the receiver answers 503, then the command says so on stderr, asks again, and stdout still holds just the feed', async () => {
    const reader = await aReader();
    const ids = await reader.store(3);
    const proxy = await aFlakyProxy(app.url, (n) => n === 1, 503, '0');
    try {
      const result = await cli(['--url', proxy.url], reader.env);
      expect(result.code).toBe(0);
      expect(result.err).toMatch(/^feed: GET \/feed answered 503; asking again in \d+\.\d s\n$/);
      expect(result.out.split('\n').filter(Boolean).map((line) => JSON.parse(line).event_id)).toEqual(ids);
    } finally {
      await proxy.close();
    }
  });

  test('when the token is refused, then exit code 1 with the envelope\'s message on stderr, and nothing on stdout', async () => {
    const result = await cli(['--url', app.url], { FEED_TOKEN: 'apptrd_not-a-token' });
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    expect(result.err).toMatch(/^feed: the receiver refused the request with 401: Unauthorized \(header\.authorization: invalid consumer token\)\n$/);
  });

  test('when the checkpoint file holds a cursor this feed did not issue, or no cursor at all, then exit code 1, and the file is kept as it was', async () => {
    const reader = await aReader();
    const file = aCheckpointFile();
    writeFileSync(file, 'bm90LWEtY3Vyc29y\n');
    const foreign = await cli(['--checkpoint', file, '--url', app.url], reader.env);
    expect(foreign).toMatchObject({ code: 1, out: '' });
    expect(foreign.err).toMatch(/refused the request with 400: Invalid query \(query\.after: string does not match regex/);
    expect(readFileSync(file, 'utf8')).toBe('bm90LWEtY3Vyc29y\n');

    writeFileSync(file, 'not a cursor!\n');
    const garbage = await cli(['--checkpoint', file, '--url', app.url], reader.env);
    expect(garbage).toMatchObject({ code: 1, out: '' });
    expect(garbage.err).toMatch(/does not hold a feed cursor; delete it to start at the beginning/);
  });

  test.each([
    [['--limit', '0'], /--limit must be a whole number from 1 to 500/],
    [['--limit', '501'], /--limit must be a whole number from 1 to 500/],
    [['--limit', '2x'], /--limit must be a whole number from 1 to 500/],
    [['--url', 'ftp://example.test'], /--url must be an http or https address/],
    [['--url', 'not a url'], /--url must be an http or https address/],
    [['--checkpoint'], /--checkpoint/],
    [['--colour'], /Unknown option '--colour'/],
    [['now'], /unexpected argument "now"/],
  ])('when the arguments are %p, then exit code 2 with a clear message and the usage', async (args, message) => {
    const result = await cli(args, { FEED_TOKEN: 'apptrd_unused' });
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.err).toMatch(/Usage: npm run -s feed --/);
    expect(result.out).toBe('');
  });

  test('when FEED_TOKEN is not set, then exit code 2 says so', async () => {
    const result = await cli(['--url', app.url], {});
    expect(result).toMatchObject({ code: 2, out: '' });
    expect(result.err).toMatch(/FEED_TOKEN is not set/);
  });
});
