// npm run bench: how fast the service runs against what the hardware and database allow, in one run.
// Starts its own local database and the built service; measures, at concurrency 1, 16, 64 and 256:
//   - the service: accepted events per second, p50/p99 latency (valid, distinct, authenticated events);
//   - the database ceiling: the same driver inserting the same documents, same write concern, no HTTP;
//   - the HTTP ceiling: a bare node:http server answering 201 with a fixed body;
//   - the 422 path (invalid events, which never touch the database), against the HTTP ceiling;
//   - the service with write batching off (WRITE_BATCH_MAX=1), to show what batching does;
// then a sustained run for memory (RSS after the first minute against the end), and peak RSS.
// Prints a table with the ratios and writes reports/bench.json. A benchmark, not a test.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './lib/freePort.mjs';
import autocannon from 'autocannon';

const require = createRequire(import.meta.url);
const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const SUSTAIN_SECONDS = Number(process.env.BENCH_SUSTAIN_SECONDS ?? 300);
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? '1,16,64,256').split(',').map(Number);

const { MongoClient } = require('mongodb');
const { startFerretDb } = require(join(ROOT, 'dist/src/localdb/ferretdb.js'));
const { openStores } = require(join(ROOT, 'dist/src/store/stores.js'));
const { registerPartner } = require(join(ROOT, 'dist/src/auth/registerPartner.js'));
const { toUnnumberedDocument } = require(join(ROOT, 'dist/src/store/eventDocument.js'));
const { idempotencyOf } = require(join(ROOT, 'dist/src/idempotency.js'));

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

async function startProcess(args, env, readyUrl) {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
  for (let i = 0; ; i++) {
    if ((await fetch(readyUrl).catch(() => undefined))?.ok) return child;
    if (i > 300 || child.exitCode !== null) throw new Error(`${args.join(' ')} did not start`);
    await sleep(50);
  }
}

async function stopProcess(child) {
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
const report = { machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, seconds: SECONDS, rows: [] };

async function service(dbName, extraEnv = {}) {
  const stores = await openStores({ uri: db.uri, dbName, timeoutMs: 5000 });
  const { apiKey } = await registerPartner(stores.partners, { name: 'bench', ratePerSecond: 1_000_000 });
  await stores.close();
  const port = await freePort();
  const child = await startProcess(
    [join(ROOT, 'dist/src/server.js')],
    { PORT: String(port), MONGODB_URI: db.uri, MONGODB_DB: dbName, LOG_LEVEL: 'info', ...extraEnv },
    `http://127.0.0.1:${port}/readyz`,
  );
  return { child, url: `http://127.0.0.1:${port}/webhook/appointment`, auth: { Authorization: `Bearer ${apiKey}` } };
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

const fixedBody = JSON.stringify({ status: 'success', message: 'Event received and stored successfully', event_id: 1, received_at: new Date().toISOString(), data: { event_type: 'appointment.scheduled', appointment_id: 'A1', patient_id: 'P1' } });
const httpPort = await freePort();
const bareServer = `require('node:http').createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(201, { 'Content-Type': 'application/json' }); res.end(${JSON.stringify(fixedBody)}); }); }).listen(${httpPort}, '127.0.0.1');`;

try {
  const http = spawn(process.execPath, ['-e', bareServer], { stdio: 'ignore' });
  await sleep(300);
  const batched = await service('bench_batched');
  const unbatched = await service('bench_unbatched', { WRITE_BATCH_MAX: '1' });
  const valid = () => JSON.stringify(event());
  const invalid = () => JSON.stringify({ ...event(), timestamp: '2025-01-10 12:30:00' });

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

  if (SUSTAIN_SECONDS > 0) {
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
  await stopProcess(batched.child);
  http.kill('SIGTERM');
} finally {
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
}

const ratio = (a, b) => (b ? +(a / b).toFixed(2) : 0);
const lines = [
  '| concurrency | service events/s | p50 / p99 ms | batching off events/s | database ceiling inserts/s | service ÷ database | HTTP ceiling req/s | 422 req/s | 422 ÷ HTTP |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...report.rows.map((r) =>
    `| ${r.concurrency} | ${r.service.perSecond} | ${r.service.p50} / ${r.service.p99} | ${r.serviceUnbatched.perSecond} | ${r.databaseCeiling.perSecond} | ${ratio(r.service.perSecond, r.databaseCeiling.perSecond)} | ${r.httpCeiling.perSecond} | ${r.rejected422.perSecond} | ${ratio(r.rejected422.perSecond, r.httpCeiling.perSecond)} |`,
  ),
];
for (const r of report.rows) {
  r.ratios = { serviceToDatabase: ratio(r.service.perSecond, r.databaseCeiling.perSecond), rejectedToHttp: ratio(r.rejected422.perSecond, r.httpCeiling.perSecond), batchingGain: ratio(r.service.perSecond, r.serviceUnbatched.perSecond) };
}
lines.push('', `Peak resident memory of the service: ${report.peakRssMb} MB.`);
if (report.sustained) {
  const s = report.sustained;
  lines.push(`Sustained ${s.seconds} s at concurrency 16: ${s.perSecond} events/s, p99 ${s.p99} ms; RSS ${s.rssAfterFirstMinuteMb} MB after the first minute, ${s.rssAtEndMb} MB at the end (${(s.growth * 100).toFixed(1)}%).`);
}
mkdirSync(join(ROOT, 'reports'), { recursive: true });
writeFileSync(join(ROOT, 'reports/bench.json'), JSON.stringify(report, null, 2));
console.log(lines.join('\n'));
