// Over 200 lines: one benchmark run told in order; every measurement shares the local database, the report and the helpers above it, and it is run by hand, not by the tests.
// npm run bench: how fast the service runs against what the hardware and database allow, in one run.
// Starts its own local database and the built service; measures, at concurrency 1, 16, 64 and 256:
//   - the service: accepted events per second, p50/p99 latency (valid, distinct, authenticated events);
//   - the database ceiling: the same driver inserting the same documents, same write concern, no HTTP;
//   - the HTTP ceiling: a bare node:http server answering 201 with a fixed body;
//   - the 422 path (invalid events, which never touch the database), against the HTTP ceiling;
//   - the service with write batching off (WRITE_BATCH_MAX=1), to show what batching does;
// then a sustained run for memory (RSS after the first minute against the end; alone with
// --only=sustained), and peak RSS;
//   - /healthz latency while the worst inputs we know (test/fixtures/worstInputs.js) arrive, one
//     at a time and all at once, against its latency with nothing else going on;
//   - start-up, first write and replay with 1,000 and with BENCH_STARTUP_EVENTS (100,000) stored;
// the delivery log's cost: writes at concurrency 16 with the log on and off, alternating rounds
// (alone with --only=deliverylog; scripts/lib/deliveryLogBench.mjs);
// accepted events per second by input format, JSON, HL7 v2 and FHIR, in rotating rounds at
// concurrency 16 (alone with --only=formats; scripts/lib/formatsBench.mjs);
// honest ceilings (alone with --only=cpu; scripts/lib/cpuBench.mjs): the database written in the
// service's own batches (insertMany of WRITE_BATCH_MAX) against single inserts, and CPU time per
// request of the service (accepted, 422), a bare node:http server and the framework floor
// (scripts/lib/floorServer.mjs), BENCH_CPU_PROFILE=<dir> running each under --cpu-prof, then the
// floor against itself plus part of what the service may not drop in BENCH_LADDER_ROUNDS (3)
// alternating rounds (scripts/lib/floorLadder.mjs);
// one worker against WORKERS = every core (alone with --only=workers; scripts/lib/workersBench.mjs);
// event numbering with 1 and 3 instances on one database (alone with --only=numbering;
// scripts/lib/numberingBench.mjs); --only takes a comma-separated list of parts;
// and the reading side (alone with --only=reading): writes at concurrency 16 with and without one
// GET /feed reader, the feed's rate, delay and exactly-once (scripts/lib/feedBench.mjs); GET
// /appointments, /events and /feed latency with 100,000 stored events (scripts/lib/readLatencyBench.mjs).
// Prints a table with the ratios and writes reports/bench.json. A benchmark, not a test.
// BENCH_ROOT points at another built tree whose service (dist/, openapi.yaml) is measured instead,
// for a before/after comparison; the database, the floor and the report stay this tree's.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './lib/freePort.mjs';
import { feedWhileWriting } from './lib/feedBench.mjs';
import { deliveryLogCost } from './lib/deliveryLogBench.mjs';
import { formatsCompared } from './lib/formatsBench.mjs';
import { workersCompared, workersLines } from './lib/workersBench.mjs';
import { numberingCompared } from './lib/numberingBench.mjs';
import { readsOnStoredEvents } from './lib/readLatencyBench.mjs';
import { readingLines } from './lib/readingReport.mjs';
import { cpuCompared } from './lib/cpuBench.mjs';
import { cpuLines } from './lib/cpuReport.mjs';
import { summarise, summaryLines } from './profile-summary.mjs';
import autocannon from 'autocannon';

const require = createRequire(import.meta.url);
const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
/** The tree whose service is measured. */
const SERVICE_ROOT = resolve(process.env.BENCH_ROOT ?? ROOT);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const SUSTAIN_SECONDS = Number(process.env.BENCH_SUSTAIN_SECONDS ?? 300);
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? '1,16,64,256').split(',').map(Number);
const STARTUP_EVENTS = Number(process.env.BENCH_STARTUP_EVENTS ?? 100000);
/** --only=reading, --only=sustained, --only=deliverylog, --only=formats, --only=cpu or --only=workers runs that part alone. */
const ONLY = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
/** Whether this run measures `part`: every part without --only, else those listed (--only=cpu,workers,numbering). */
const want = (part) => !ONLY || ONLY.split(',').includes(part);
const FEED_SECONDS = Number(process.env.BENCH_FEED_SECONDS ?? 20);
const FEED_ROUNDS = Number(process.env.BENCH_FEED_ROUNDS ?? 2);
const FEED_CONCURRENCY = Number(process.env.BENCH_FEED_CONCURRENCY ?? 16);
const READ_EVENTS = Number(process.env.BENCH_READ_EVENTS ?? 100000);
const READ_REQUESTS = Number(process.env.BENCH_READ_REQUESTS ?? 50);
const READ_BUDGET_SECONDS = Number(process.env.BENCH_READ_BUDGET_SECONDS ?? 900);
const LOG_ROUNDS = Number(process.env.BENCH_LOG_ROUNDS ?? 10);
const FORMAT_ROUNDS = Number(process.env.BENCH_FORMAT_ROUNDS ?? 6);
const CPU_WRITERS = (process.env.BENCH_CPU_WRITERS ?? '4,16').split(',').map(Number);
const CPU_CONNECTIONS = Number(process.env.BENCH_CPU_CONNECTIONS ?? 16);
const CPU_WARMUP_SECONDS = Number(process.env.BENCH_CPU_WARMUP_SECONDS ?? 3);
/** Rounds of the floor against the floor plus mandated parts (scripts/lib/floorLadder.mjs); 0 skips it. */
const LADDER_ROUNDS = Number(process.env.BENCH_LADDER_ROUNDS ?? 3);
const CPU_PROFILE = process.env.BENCH_CPU_PROFILE;
const WORKER_ROUNDS = Number(process.env.BENCH_WORKERS_ROUNDS ?? 2);
const NUMBERING_ROUNDS = Number(process.env.BENCH_NUMBERING_ROUNDS ?? 2);
const WORKER_CONNECTIONS = Number(process.env.BENCH_WORKERS_CONNECTIONS ?? 64);

const { MongoClient } = require('mongodb');
// The database is this tree's (its binary is under .local/), whichever service is measured.
const { startFerretDb } = require(join(ROOT, 'dist/src/localdb/ferretdb.js'));
const { loadConfig } = require(join(SERVICE_ROOT, 'dist/src/config.js'));
const { openStores } = require(join(SERVICE_ROOT, 'dist/src/store/stores.js'));
const { registerPartner } = require(join(SERVICE_ROOT, 'dist/src/auth/registerPartner.js'));
const { generateConsumerToken, hashConsumerToken } = require(join(SERVICE_ROOT, 'dist/src/auth/credentials.js'));
const { toUnnumberedDocument, readableEvent } = require(join(SERVICE_ROOT, 'dist/src/store/eventDocument.js'));
const { FEED_CHUNKS_COLLECTION, toChunkDocument } = require(join(SERVICE_ROOT, 'dist/src/store/feedChunk.js'));
const { FEED_HEAD_SEQUENCE } = require(join(SERVICE_ROOT, 'dist/src/store/feedSequencer.js'));
const { encodeFeedCursor } = require(join(SERVICE_ROOT, 'dist/src/store/cursors.js'));
const { idempotencyOf } = require(join(SERVICE_ROOT, 'dist/src/idempotency.js'));
const { allStoredDeliveries } = require(join(SERVICE_ROOT, 'dist/src/store/deliveryPacks.js'));
const { worstInputs } = require(join(ROOT, 'test/fixtures/worstInputs.js'));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let sequence = 0;
function event() {
  sequence += 1;
  return {
    event_type: 'appointment.scheduled',
    appointment_id: `B${process.pid}-${sequence}`,
    patient_id: `P${sequence % 10000}`,
    timestamp: new Date().toISOString(),
    notes: 'Benchmark event, annual physical',
  };
}

async function load(url, connections, headers, body, seconds = SECONDS) {
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [{ method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, setupRequest: (req) => ({ ...req, body: body() }) }],
  });
  const ok = result['2xx'];
  return {
    perSecond: Math.round(ok / (result.duration || seconds)),
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok,
    other: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

async function startProcess(args, env, readyUrl, timeoutMs = 15000) {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
  children.add(child);
  const until = performance.now() + timeoutMs;
  for (;;) {
    if ((await fetch(readyUrl).catch(() => undefined))?.ok) return child;
    if (performance.now() > until || child.exitCode !== null) {
      if (child.exitCode === null) await stopProcess(child);
      throw new Error(`${args.join(' ')} did not start`);
    }
    await sleep(50);
  }
}

/** Processes this run started and has not stopped yet. */
const children = new Set();

async function stopProcess(child) {
  children.delete(child);
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

function rssKb(pid, field = 'VmRSS') {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(field));
  return Number(line?.split(/\s+/)[1] ?? 0);
}

const dir = mkdtempSync(join(tmpdir(), 'appointment-webhooks-bench-'));
const db = await startFerretDb({ dataDir: dir, port: await freePort() });
const report = { machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, serviceRoot: SERVICE_ROOT, seconds: SECONDS, rows: [] };

/** The built service on database `dbName`, with a partner (`auth`) and a consumer reading every partner (`read`). */
async function service(dbName, extraEnv = {}, partner = 'bench', readyTimeoutMs = 15000) {
  const stores = await openStores({ uri: db.uri, dbName, timeoutMs: 60000 });
  const { apiKey } = await registerPartner(stores.partners, { name: partner, ratePerSecond: 1_000_000 });
  const token = generateConsumerToken();
  await stores.consumers.add(`bench-reader-${partner}`, hashConsumerToken(token), null);
  await stores.close();
  const port = await freePort();
  const child = await startProcess(
    [join(SERVICE_ROOT, 'dist/src/server.js')],
    { PORT: String(port), MONGODB_URI: db.uri, MONGODB_DB: dbName, SUPPORT_EMAIL: 'support@example.test', LOG_LEVEL: 'info', WORKERS: '1', ...extraEnv },
    `http://127.0.0.1:${port}/readyz`,
    readyTimeoutMs,
  );
  return { child, url: `http://127.0.0.1:${port}/webhook/appointment`, auth: { Authorization: `Bearer ${apiKey}` }, read: { Authorization: `Bearer ${token}` } };
}

async function dropDatabase(dbName) {
  const client = await MongoClient.connect(db.uri);
  try {
    await client.db(dbName).dropDatabase();
  } finally {
    await client.close();
  }
}

/** The same driver, documents and write concern as the service, one insertOne per event, `connections` at a time. */
async function databaseCeiling(connections) {
  const client = await MongoClient.connect(db.uri, { writeConcern: { w: 'majority', journal: true }, maxPoolSize: Math.max(connections, 10) });
  const collection = client.db(`bench_ceiling_${connections}`).collection('appointment_events');
  await collection.createIndex({ event_id: 1 }, { unique: true });
  await collection.createIndex({ idempotency_key: 1 }, { unique: true });
  await collection.createIndex({ appointment_id: 1, timestamp: 1 });
  await collection.createIndex({ patient_id: 1, timestamp: 1 });
  let id = 0;
  let done = 0;
  const latencies = [];
  const until = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < until) {
        const e = event();
        const doc = { event_id: ++id, ...toUnnumberedDocument(e, new Date(), 'bench', idempotencyOf('bench', e, {})) };
        const started = performance.now();
        await collection.insertOne(doc);
        latencies.push(performance.now() - started);
        done += 1;
      }
    }),
  );
  await client.close();
  latencies.sort((a, b) => a - b);
  return { perSecond: Math.round(done / SECONDS), p50: Math.round(latencies[Math.floor(latencies.length * 0.5)]), p99: Math.round(latencies[Math.floor(latencies.length * 0.99)]) };
}

/** Times GET /healthz every 5 ms while `work` runs; its slowest and 99th percentile answers. */
async function healthWhile(base, work) {
  const latencies = [];
  let running = true;
  const prober = (async () => {
    while (running) {
      const started = performance.now();
      await (await fetch(`${base}/healthz`)).arrayBuffer();
      latencies.push(performance.now() - started);
      await sleep(5);
    }
  })();
  await sleep(20);
  await work();
  await sleep(20);
  running = false;
  await prober;
  latencies.sort((a, b) => a - b);
  return { probes: latencies.length, p99: +latencies[Math.floor(latencies.length * 0.99)].toFixed(1), max: +latencies[latencies.length - 1].toFixed(1) };
}

async function worstInputsAgainst(svc) {
  const base = new URL(svc.url).origin;
  const inputs = worstInputs(svc.auth.Authorization.slice('Bearer '.length));
  const send = async (input) => (await fetch(`${base}${input.path ?? '/webhook/appointment'}`, { method: input.method ?? 'POST', headers: input.headers, body: input.body })).arrayBuffer();
  const idle = await healthWhile(base, () => sleep(2000));
  const oneAtATime = await healthWhile(base, async () => {
    for (let round = 0; round < 10; round++) for (const input of inputs) await send(input);
  });
  let burstMs = 0;
  const allAtOnce = await healthWhile(base, async () => {
    const started = performance.now();
    await Promise.all(inputs.flatMap((input) => [0, 1, 2].map(() => send(input))));
    burstMs = Math.round(performance.now() - started);
  });
  return { inputs: inputs.length, idle, oneAtATime, allAtOnce: { ...allAtOnce, requests: inputs.length * 3, burstMs } };
}

/** Start-up (spawn to ready), the first write and a replay, on a database holding `count` events. */
async function startupWith(count) {
  const dbName = `bench_startup_${count}`;
  const client = await MongoClient.connect(db.uri);
  const events = client.db(dbName).collection('appointment_events');
  for (let done = 0; done < count; done += 1000) {
    await events.insertMany(Array.from({ length: Math.min(1000, count - done) }, (_, i) => {
      const e = event();
      return { event_id: done + i + 1, ...toUnnumberedDocument(e, new Date(), 'bench', idempotencyOf('bench', e, {})) };
    }));
  }
  await client.close();
  const runs = [];
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    const svc = await service(dbName, {}, `bench-${run}`);
    const startMs = Math.round(performance.now() - started);
    const body = JSON.stringify(event());
    const headers = { 'Content-Type': 'application/json', ...svc.auth, 'Idempotency-Key': `startup-${run}` };
    const timed = async () => {
      const t = performance.now();
      const res = await fetch(svc.url, { method: 'POST', headers, body });
      await res.arrayBuffer();
      return { status: res.status, ms: Math.round(performance.now() - t) };
    };
    const firstWrite = await timed();
    const replay = await timed();
    runs.push({ startMs, firstWrite, replay });
    await stopProcess(svc.child);
  }
  return { events: count, runs };
}

const fixedBody = JSON.stringify({ status: 'success', message: 'Event received and stored successfully', event_id: 1, received_at: new Date().toISOString(), data: { event_type: 'appointment.scheduled', appointment_id: 'A1', patient_id: 'P1' } });
const httpPort = await freePort();
// Exits on SIGTERM, so that --cpu-prof writes its profile.
const bareServerSource = (port) => `require('node:http').createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(201, { 'Content-Type': 'application/json' }); res.end(${JSON.stringify(fixedBody)}); }); }).listen(${port}, '127.0.0.1'); process.on('SIGTERM', () => process.exit(0));`;
const bareServer = bareServerSource(httpPort);

const log = (line) => process.stderr.write(`${line}\n`);
const valid = () => JSON.stringify(event());
const invalid = () => JSON.stringify({ ...event(), timestamp: '2025-01-10 12:30:00' });
try {
  if (!ONLY) {
    const http = spawn(process.execPath, ['-e', bareServer], { stdio: 'ignore' });
    children.add(http);
    await sleep(300);
    const batched = await service('bench_batched');
    const unbatched = await service('bench_unbatched', { WRITE_BATCH_MAX: '1' });

    for (const c of CONCURRENCIES) {
      process.stderr.write(`bench: concurrency ${c}...\n`);
      const svc = await load(batched.url, c, batched.auth, valid);
      const noBatch = await load(unbatched.url, c, unbatched.auth, valid);
      const ceiling = await databaseCeiling(c);
      const bare = await load(`http://127.0.0.1:${httpPort}/`, c, {}, valid);
      const rejected = await load(batched.url, c, batched.auth, invalid);
      report.rows.push({ concurrency: c, service: svc, serviceUnbatched: noBatch, databaseCeiling: ceiling, httpCeiling: bare, rejected422: { ...rejected, perSecond: Math.round(rejected.other / SECONDS) } });
    }
    report.peakRssMb = Math.round(rssKb(batched.child.pid, 'VmHWM') / 1024);
    await stopProcess(unbatched.child);

    process.stderr.write('bench: worst inputs against /healthz...\n');
    report.worstInputs = await worstInputsAgainst(batched);
    if (STARTUP_EVENTS > 0) {
      process.stderr.write(`bench: start-up with 1,000 and ${STARTUP_EVENTS} stored events...\n`);
      report.startup = [await startupWith(1000), await startupWith(STARTUP_EVENTS)];
    }

    await stopProcess(batched.child);
    await stopProcess(http);
  }

  if (want('cpu')) {
    // The service's own batch size: its default, or WRITE_BATCH_MAX as the children inherit it.
    const batchSize = loadConfig({ ...process.env, MONGODB_URI: db.uri }).writeBatchMax;
    const makeDocument = (id) => {
      const e = event();
      return { event_id: id, ...toUnnumberedDocument(e, new Date(), 'bench', idempotencyOf('bench', e, {})) };
    };
    report.cpu = await cpuCompared({
      service, startProcess, stopProcess, freePort, databaseCeiling, log, bareServerSource, validBody: valid, invalidBody: invalid,
      MongoClient, dbUri: db.uri, makeDocument, batchSize, writers: CPU_WRITERS, connections: CPU_CONNECTIONS, seconds: SECONDS,
      warmupSeconds: CPU_WARMUP_SECONDS, databasePid: db.pid, profileDir: CPU_PROFILE && resolve(CPU_PROFILE), floorScript: join(ROOT, 'scripts/lib/floorServer.mjs'),
      ladderRounds: LADDER_ROUNDS,
    });
  }

  if (WORKER_ROUNDS > 0 && want('workers')) {
    const { availableParallelism } = await import('node:os');
    report.workers = await workersCompared({
      service, stopProcess, load, log, makeBody: valid, cores: availableParallelism(), connections: WORKER_CONNECTIONS, seconds: SECONDS, rounds: WORKER_ROUNDS,
    });
  }

  if (NUMBERING_ROUNDS > 0 && want('numbering')) {
    log(`bench: numbering with 1 and 3 instances at concurrency 24, ${NUMBERING_ROUNDS} rounds...`);
    report.numbering = await numberingCompared({ root: SERVICE_ROOT, uri: db.uri, seconds: SECONDS, concurrency: 24, instances: 3, rounds: NUMBERING_ROUNDS });
  }

  if (LOG_ROUNDS > 0 && want('deliverylog')) {
    report.deliveryLog = await deliveryLogCost({
      service, stopProcess, load, makeBody: valid, MongoClient, allStoredDeliveries, dbUri: db.uri, log, concurrency: 16, seconds: SECONDS, rounds: LOG_ROUNDS,
    });
  }

  if (FORMAT_ROUNDS > 0 && want('formats')) {
    report.formats = await formatsCompared({ service, stopProcess, load, MongoClient, dbUri: db.uri, log, concurrency: 16, seconds: SECONDS, rounds: FORMAT_ROUNDS });
  }

  if (SUSTAIN_SECONDS > 0 && want('sustained')) {
    process.stderr.write(`bench: sustained load for ${SUSTAIN_SECONDS} s at concurrency 16...\n`);
    const sustained = await service('bench_sustained');
    const samples = [];
    const sampler = setInterval(() => samples.push({ t: samples.length * 5 + 5, rssMb: rssKb(sustained.child.pid) / 1024 }), 5000);
    const result = await load(sustained.url, 16, sustained.auth, valid, SUSTAIN_SECONDS);
    clearInterval(sampler);
    const atMinute = samples.find((s) => s.t >= 60) ?? samples[0];
    const atEnd = samples[samples.length - 1];
    report.sustained = { seconds: SUSTAIN_SECONDS, perSecond: result.perSecond, p99: result.p99, rssAfterFirstMinuteMb: Math.round(atMinute.rssMb), rssAtEndMb: Math.round(atEnd.rssMb), growth: +(atEnd.rssMb / atMinute.rssMb - 1).toFixed(3), peakRssMb: Math.round(rssKb(sustained.child.pid, 'VmHWM') / 1024) };
    await stopProcess(sustained.child);
  }

  if (FEED_SECONDS > 0 && want('reading')) {
    report.feed = await feedWhileWriting({
      service, stopProcess, dropDatabase, log, makeEvent: event, databasePid: db.pid,
      seconds: FEED_SECONDS, concurrency: FEED_CONCURRENCY, rounds: FEED_ROUNDS, drainSeconds: 180,
    });
  }
  if (READ_EVENTS > 0 && want('reading')) {
    report.reads = await readsOnStoredEvents({
      MongoClient, dbUri: db.uri, service, stopProcess, dropDatabase, log, toUnnumberedDocument, idempotencyOf, readableEvent, encodeFeedCursor,
      feedChunks: FEED_CHUNKS_COLLECTION, toChunkDocument, feedHead: FEED_HEAD_SEQUENCE,
      count: READ_EVENTS, appointments: Math.max(1, Math.round(READ_EVENTS / 5)), requests: READ_REQUESTS, budgetSeconds: READ_BUDGET_SECONDS,
    });
  }
} finally {
  // Whatever an error left running.
  for (const child of children) await stopProcess(child);
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
}

const ratio = (a, b) => (b ? +(a / b).toFixed(2) : 0);
const lines = [];
if (report.rows.length > 0) lines.push(
  '| concurrency | service events/s | p50 / p99 ms | batching off events/s | database ceiling inserts/s | service ÷ database | HTTP ceiling req/s | 422 req/s | 422 ÷ HTTP |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...report.rows.map((r) =>
    `| ${r.concurrency} | ${r.service.perSecond} | ${r.service.p50} / ${r.service.p99} | ${r.serviceUnbatched.perSecond} | ${r.databaseCeiling.perSecond} | ${ratio(r.service.perSecond, r.databaseCeiling.perSecond)} | ${r.httpCeiling.perSecond} | ${r.rejected422.perSecond} | ${ratio(r.rejected422.perSecond, r.httpCeiling.perSecond)} |`,
  ),
);
for (const r of report.rows) {
  r.ratios = { serviceToDatabase: ratio(r.service.perSecond, r.databaseCeiling.perSecond), rejectedToHttp: ratio(r.rejected422.perSecond, r.httpCeiling.perSecond), batchingGain: ratio(r.service.perSecond, r.serviceUnbatched.perSecond) };
}
if (report.peakRssMb) lines.push('', `Peak resident memory of the service: ${report.peakRssMb} MB.`);
const w = report.worstInputs;
if (w) lines.push(
  `/healthz while the ${w.inputs} worst inputs arrive: idle max ${w.idle.max} ms (p99 ${w.idle.p99}); one at a time, 10 rounds, max ${w.oneAtATime.max} ms (p99 ${w.oneAtATime.p99}); all ${w.allAtOnce.requests} at once (answered in ${w.allAtOnce.burstMs} ms) max ${w.allAtOnce.max} ms.`,
);
for (const s of report.startup ?? []) {
  const runs = s.runs.map((r) => `start ${r.startMs} ms, first write ${r.firstWrite.status} in ${r.firstWrite.ms} ms, replay ${r.replay.status} in ${r.replay.ms} ms`).join('; ');
  lines.push(`With ${s.events} stored events: ${runs}.`);
}
if (report.sustained) {
  const s = report.sustained;
  lines.push(`Sustained ${s.seconds} s at concurrency 16: ${s.perSecond} events/s, p99 ${s.p99} ms; RSS ${s.rssAfterFirstMinuteMb} MB after the first minute, ${s.rssAtEndMb} MB at the end (${(s.growth * 100).toFixed(1)}%).`);
}
if (report.deliveryLog) {
  const d = report.deliveryLog;
  lines.push(`Delivery log at concurrency ${d.concurrency}, ${d.rounds} alternating rounds of ${d.seconds} s: on ${d.perSecondOn} events/s (p99 ${d.p99On} ms), off ${d.perSecondOff} events/s (p99 ${d.p99Off} ms); on ÷ off ${d.ratio} (median of the rounds' own ratios ${d.pairedRatio}); ${d.records} records for ${d.answered} requests answered.`);
}
if (report.formats) {
  const f = report.formats;
  const row = (name, label) => `${label} ${f.perSecond[name]}${name === 'json' ? '' : ` (${f.ratioToJson[name]} of JSON; median of the rounds' own ratios ${f.pairedRatioToJson[name]})`}`;
  lines.push(
    `Input formats at concurrency ${f.concurrency}, ${f.rounds} rotating rounds of ${f.seconds} s (accepted events/s, median): ${row('json', 'JSON')}, ${row('hl7v2', 'HL7 v2')}, ${row('fhir', 'FHIR version 1')}, ${row('fhirV2', 'FHIR version 2')}, ${row('notification', `FHIR notifications of ${f.eventsPerNotification} Appointments`)}; stored ${f.stored.json} JSON, ${f.stored.hl7v2} HL7 v2 and ${f.stored.fhir} FHIR events for ${f.accepted.json}, ${f.accepted.hl7v2} and ${f.accepted.fhir + f.accepted.fhirV2 + f.accepted.notification} accepted, ${Object.values(f.refused).reduce((a, b) => a + b, 0)} refused.`,
  );
}
lines.push(...readingLines(report));
lines.push(...cpuLines(report.cpu));
if (report.workers) lines.push(...workersLines(report.workers));
if (report.numbering) {
  const row = (r) => `| ${r.instances}${r.numbering === 'leased' || r.instances === 1 ? '' : ', control'} | ${r.perSecond} | ${r.non2xx + r.errors} | ${r.conflictsPerThousand} | ${r.retriesPerThousand} | ${r.leaseSecondsPerThousand} / ${r.insertSecondsPerThousand} | ${r.duplicateIds} |`;
  lines.push(
    '', `Event numbering, 1 instance against 3 on one database, 24 connections in all, ${SECONDS} s a run (3 ÷ 1: ${report.numbering.ratio}; conflicts cost ${report.numbering.conflictCost} of the 3 instances' throughput against the control, leases that cannot conflict):`,
    '| instances | accepted events/s | non-2xx or errors | conflicts per 1,000 events | retries per 1,000 | lease s / insert s per 1,000 | duplicate ids |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...report.numbering.one.map(row), ...report.numbering.many.map(row), ...(report.numbering.control ?? []).map(row),
  );
}
if (report.cpu && CPU_PROFILE) {
  // Each server's main-thread profile (named after its pid), over the measured load only.
  const { readdirSync } = await import('node:fs');
  report.cpu.profiles = {};
  for (const [name, s] of Object.entries(report.cpu.servers)) {
    const folder = join(resolve(CPU_PROFILE), name === 'floorAccepted' || name === 'floor422' ? 'floor' : name);
    // The first serving process's main thread: the service itself, or its first worker.
    const file = readdirSync(folder).find((f) => f.includes(`.${s.pids.at(-1)}.0.`) && f.endsWith('.cpuprofile'));
    if (!file) continue;
    const summary = summarise(JSON.parse(readFileSync(join(folder, file), 'utf8')), { ...s.window, requests: s.answered, cpuMicrosPerRequest: s.mainThreadMicrosPerRequest?.user, systemMicrosPerRequest: s.mainThreadMicrosPerRequest?.system });
    report.cpu.profiles[name] = { file: join(folder, file), ...summary };
    lines.push('', ...summaryLines(summary, `Profile of ${name}`));
  }
}
mkdirSync(join(ROOT, 'reports'), { recursive: true });
writeFileSync(join(ROOT, ONLY ? `reports/bench-${ONLY.replaceAll(',', '-')}.json` : 'reports/bench.json'), JSON.stringify(report, null, 2));
console.log(lines.join('\n'));
