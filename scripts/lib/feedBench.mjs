// The feed while writing, for npm run bench: write throughput with and without one feed reader,
// what the reader gets and how late, and whether it saw every acknowledged event exactly once.
import autocannon from 'autocannon';
import { cpuMeter } from './cpu.mjs';
import { ratio, sleep, summary, tally } from './stats.mjs';

const PAGE = 500;
const IDLE_SLEEP_MS = 100;

/**
 * One consumer following GET /feed from its start: pages of PAGE, a rest of IDLE_SLEEP_MS when
 * `has_more` is false. Records when each event_id was first seen (and how often), and whether
 * feed positions ran on without gaps.
 */
function startReader(base, auth) {
  const state = { seenAt: new Map(), times: new Map(), requestMs: [], requests: 0, statuses: [], events: 0, positionsInOrder: true, caughtUp: 0, running: true };
  let cursor;
  let lastPosition = 0;
  state.done = (async () => {
    while (state.running) {
      const url = `${base}/feed?limit=${PAGE}${cursor ? `&after=${cursor}` : ''}`;
      let res;
      const asked = performance.now();
      try {
        res = await fetch(url, { headers: auth, signal: AbortSignal.timeout(30000) });
      } catch {
        state.statuses.push('error');
        await sleep(IDLE_SLEEP_MS);
        continue;
      }
      state.requests += 1;
      state.statuses.push(res.status);
      if (!res.ok) {
        await res.arrayBuffer();
        await sleep(IDLE_SLEEP_MS);
        continue;
      }
      const page = await res.json();
      const now = performance.now();
      state.requestMs.push(now - asked);
      for (const e of page.data) {
        state.times.set(e.event_id, (state.times.get(e.event_id) ?? 0) + 1);
        if (!state.seenAt.has(e.event_id)) state.seenAt.set(e.event_id, now);
        if (e.feed_position !== lastPosition + 1) state.positionsInOrder = false;
        lastPosition = e.feed_position;
      }
      state.events += page.data.length;
      cursor = page.next_cursor;
      if (!page.has_more) {
        state.caughtUp += 1;
        await sleep(IDLE_SLEEP_MS);
      }
    }
  })();
  return state;
}

/** Writers at `concurrency` for `seconds` (with a reader when asked), then the reader drained. */
async function oneRun(svc, withReader, pids, { seconds, concurrency, makeEvent, drainSeconds }) {
  const base = new URL(svc.url).origin;
  const acked = new Map();
  const reader = withReader ? startReader(base, svc.read) : undefined;
  const cpu = cpuMeter({ service: svc.child.pid, database: pids.database, bench: undefined });
  const result = await autocannon({
    url: svc.url,
    connections: concurrency,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...svc.auth },
        setupRequest: (req) => ({ ...req, body: JSON.stringify(makeEvent()) }),
        onResponse: (status, body) => {
          if (status === 201) acked.set(JSON.parse(body).event_id, performance.now());
        },
      },
    ],
  });
  const writersStopped = performance.now();
  const cpuSeconds = cpu.stop();
  const writes = {
    perSecond: Math.round(result['2xx'] / (result.duration || seconds)),
    ok: result['2xx'],
    other: result.non2xx,
    errors: result.errors + result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
  if (!reader) return { writes, cpuSeconds };

  const readWhileWriting = reader.events;
  const unseen = () => [...acked.keys()].filter((id) => !reader.seenAt.has(id)).length;
  // Drain: until every acknowledged event is seen and the reader has reached the end once more.
  const deadline = writersStopped + drainSeconds * 1000;
  while (performance.now() < deadline && unseen() > 0) await sleep(50);
  const drainedAt = unseen() === 0 ? performance.now() : undefined;
  const caughtUp = reader.caughtUp;
  while (performance.now() < deadline && reader.caughtUp <= caughtUp) await sleep(20);
  reader.running = false;
  await reader.done;

  const delays = [];
  for (const [id, at] of acked) if (reader.seenAt.has(id)) delays.push(reader.seenAt.get(id) - at);
  const missing = unseen();
  const seenTwice = [...reader.times.values()].filter((n) => n > 1).length;
  const notAcknowledged = [...reader.seenAt.keys()].filter((id) => !acked.has(id)).length;
  return {
    writes,
    cpuSeconds,
    feed: {
      readWhileWritingPerSecond: Math.round(readWhileWriting / seconds),
      eventsRead: reader.events,
      requests: reader.requests,
      requestMs: summary(reader.requestMs),
      statuses: tally(reader.statuses),
      delayMs: summary(delays),
      drainMs: drainedAt === undefined ? null : Math.round(drainedAt - writersStopped),
      acknowledged: acked.size,
      missing,
      seenTwice,
      // Stored but not acknowledged with a 201 (a reply lost or late): seen, not an error.
      notAcknowledged,
      positionsInOrder: reader.positionsInOrder,
      exactlyOnce: missing === 0 && seenTwice === 0 && reader.positionsInOrder,
    },
  };
}

/**
 * Runs writers alone and writers with a reader, alternately (alone, reader, reader, alone, …
 * so that a drift of the machine's speed touches both alike), each on a fresh database, then
 * once with the sequencer held off (FEED_INTERVAL_MS=60000) to show what placing costs writes.
 */
export async function feedWhileWriting(options) {
  const { service, stopProcess, dropDatabase, rounds, log, databasePid } = options;
  const order = [];
  for (let r = 0; r < rounds; r++) order.push(...(r % 2 === 0 ? ['alone', 'reader'] : ['reader', 'alone']));
  order.push('sequencerHeldOff');
  const runs = [];
  for (const [i, variant] of order.entries()) {
    log(`bench: feed while writing, ${variant} (${i + 1} of ${order.length})...`);
    const dbName = `bench_feed_${i}`;
    const svc = await service(dbName, variant === 'sequencerHeldOff' ? { FEED_INTERVAL_MS: '60000' } : {});
    try {
      runs.push({ variant, ...(await oneRun(svc, variant === 'reader', { database: databasePid }, options)) });
    } finally {
      await stopProcess(svc.child);
      await dropDatabase(dbName);
    }
  }
  const rate = (variant) => {
    const of = runs.filter((r) => r.variant === variant);
    return Math.round(of.reduce((sum, r) => sum + r.writes.perSecond, 0) / of.length);
  };
  const alone = rate('alone');
  const withReader = rate('reader');
  const heldOff = rate('sequencerHeldOff');
  return {
    seconds: options.seconds,
    concurrency: options.concurrency,
    runs,
    writesAlonePerSecond: alone,
    writesWithReaderPerSecond: withReader,
    writesSequencerHeldOffPerSecond: heldOff,
    withReaderToAlone: ratio(withReader, alone),
    aloneToSequencerHeldOff: ratio(alone, heldOff),
  };
}
