// Event numbering under scale-out: events/s with 1 instance and with N instances on one database
// at the same total concurrency, and what numbering cost on the way (conflicts and retries per
// 1,000 events). Each instance is a child process running the built service (dist/src/service.js
// start(), as dist/src/server.js does), so the figures are read from it over IPC rather than
// scraped; the lead's bench calls numberingCompared(), and `node scripts/lib/numberingBench.mjs`
// runs it alone against a FerretDB of its own (after `npm run build`).
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort } from './freePort.mjs';
import { disjointLeases } from './numberingControl.mjs';

const require = createRequire(import.meta.url);
const HERE = fileURLToPath(import.meta.url);
const ROOT = dirname(dirname(dirname(HERE)));

/** The child: one instance of the built service at `root`, answering 'stats' and 'stop' over IPC. */
async function child() {
  const root = process.env.NUMBERING_BENCH_ROOT;
  const { start } = require(join(root, 'dist/src/service.js'));
  const { loadConfig } = require(join(root, 'dist/src/config.js'));
  const { Metrics } = require(join(root, 'dist/src/metrics.js'));
  const pino = require('pino');
  if (process.env.NUMBERING_BENCH_DISJOINT) disjointLeases(require(join(root, 'dist/src/store/eventIdLeases.js')).EventIdLeases, Number(process.env.NUMBERING_BENCH_DISJOINT));
  const metrics = new Metrics();
  const svc = await start({ ...loadConfig(process.env), mongodbUri: process.env.MONGODB_URI }, { logger: pino({ level: process.env.NUMBERING_BENCH_LOG ?? 'silent' }, pino.destination(2)), metrics });
  const value = async (metric, suffix) => (await metric.get()).values.find((v) => !suffix || v.metricName === metric.name + suffix)?.value ?? 0;
  process.on('message', async (message) => {
    if (message === 'stats') {
      process.send({
        stats: {
          inserts: await value(metrics.dbBatchSize, '_count'),
          sent: await value(metrics.dbBatchSize, '_sum'),
          stored: await value(metrics.eventsStored),
          insertSeconds: await value(metrics.dbWriteSeconds, '_sum'),
          // Builds before the numbering counters have no numbering() on their stores.
          numbering: svc.stores.numbering?.() ?? null,
        },
      });
    } else if (message === 'stop') {
      await svc.stop();
      process.exit(0);
    }
  });
  process.send({ url: svc.url });
}

async function startInstance(root, uri, dbName, disjoint) {
  const port = await freePort();
  const env = { ...process.env, ...(disjoint ? { NUMBERING_BENCH_DISJOINT: String(disjoint) } : {}), NUMBERING_BENCH_CHILD: '1', NUMBERING_BENCH_ROOT: root, PORT: String(port), HOST: '127.0.0.1', MONGODB_URI: uri, MONGODB_DB: dbName, SUPPORT_EMAIL: 'support@example.test', FEED_SEQUENCER: 'false' };
  const proc = fork(HERE, [], { env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const [first] = await once(proc, 'message');
  const ask = async (message) => {
    const reply = once(proc, 'message');
    proc.send(message);
    return (await reply)[0];
  };
  return {
    url: `${first.url}/webhook/appointment`,
    stats: async () => (await ask('stats')).stats,
    stop: async () => {
      proc.send('stop');
      await once(proc, 'exit');
    },
  };
}

let sequence = 0;
const event = () => {
  sequence += 1;
  return JSON.stringify({ event_type: 'appointment.scheduled', appointment_id: `N${process.pid}-${sequence}`, patient_id: `P${sequence % 10000}`, timestamp: new Date().toISOString(), notes: 'Numbering benchmark' });
};

/** `instances` instances on a fresh database, `concurrency` connections in all spread over them, for `seconds`. */
async function oneRun({ root, uri, instances, concurrency, seconds, disjoint = false }) {
  const { MongoClient } = require('mongodb');
  const { openStores } = require(join(root, 'dist/src/store/stores.js'));
  const { registerPartner } = require(join(root, 'dist/src/auth/registerPartner.js'));
  const dbName = `bench_numbering_${instances}_${process.pid}_${Date.now()}`;
  const stores = await openStores({ uri, dbName, timeoutMs: 60000 });
  const { apiKey } = await registerPartner(stores.partners, { name: 'numbering', ratePerSecond: 1_000_000 });
  await stores.close();
  const apps = [];
  try {
    for (let i = 0; i < instances; i++) apps.push(await startInstance(root, uri, dbName, disjoint ? i + 1 : 0));
    const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${apiKey}` };
    const results = await Promise.all(
      apps.map((app, i) =>
        autocannon({
          url: app.url,
          // The total spread as evenly as it divides.
          connections: Math.floor(concurrency / instances) + (i < concurrency % instances ? 1 : 0),
          duration: seconds,
          requests: [{ method: 'POST', headers, setupRequest: (req) => ({ ...req, body: event() }) }],
        }),
      ),
    );
    const stats = await Promise.all(apps.map((app) => app.stats()));
    if (process.env.NUMBERING_BENCH_DEBUG) console.error(JSON.stringify(stats));
    const client = await MongoClient.connect(uri);
    let storedIds;
    try {
      storedIds = (await client.db(dbName).collection('appointment_events').find({}, { projection: { _id: 0, event_id: 1 } }).toArray()).map((d) => d.event_id);
    } finally {
      await client.close();
    }
    const ok = results.reduce((n, r) => n + r['2xx'], 0);
    const sum = (f) => stats.reduce((n, s) => n + f(s), 0);
    const stored = sum((s) => s.stored);
    const perThousand = (n) => (stored ? +((1000 * n) / stored).toFixed(1) : 0);
    const numbering = stats.every((s) => s.numbering)
      ? { conflicts: sum((s) => s.numbering.conflicts), retries: sum((s) => s.numbering.retries), leaseSeconds: sum((s) => s.numbering.leaseSeconds ?? 0) }
      : null;
    return {
      instances,
      numbering: disjoint ? 'disjoint (control)' : 'leased',
      concurrency,
      perSecond: Math.round(ok / seconds),
      ok,
      non2xx: results.reduce((n, r) => n + r.non2xx, 0),
      errors: results.reduce((n, r) => n + r.errors + r.timeouts, 0),
      p50: Math.max(...results.map((r) => r.latency.p50)),
      p99: Math.max(...results.map((r) => r.latency.p99)),
      inserts: sum((s) => s.inserts),
      // Documents sent again after an insert stopped short (every build can tell this one).
      resentPerThousand: perThousand(sum((s) => s.sent - s.stored)),
      conflictsPerThousand: numbering ? perThousand(numbering.conflicts) : null,
      retriesPerThousand: numbering ? perThousand(numbering.retries) : null,
      // Time the writers spent per 1,000 events on leases (numbering) and on the events' inserts.
      leaseSecondsPerThousand: numbering ? +((1000 * numbering.leaseSeconds) / Math.max(1, stored)).toFixed(2) : null,
      insertSecondsPerThousand: +((1000 * sum((s) => s.insertSeconds)) / Math.max(1, stored)).toFixed(2),
      stored: storedIds.length,
      duplicateIds: storedIds.length - new Set(storedIds).size,
    };
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
    const client = await MongoClient.connect(uri);
    await client.db(dbName).dropDatabase().finally(() => client.close());
  }
}

/**
 * Events/s with 1 instance and with `instances` at the same total concurrency (rounds alternate,
 * so a drift of the machine falls on all), numbering conflicts and retries per 1,000 events, and
 * what the conflicts cost: the instances' events/s against the same instances with leases that
 * cannot conflict (disjointLeases), which differ in nothing else.
 */
export async function numberingCompared({ root = ROOT, uri, seconds = 10, concurrency = 24, instances = 3, rounds = 2 }) {
  const one = [];
  const many = [];
  const control = [];
  for (let round = 0; round < rounds; round++) {
    one.push(await oneRun({ root, uri, instances: 1, concurrency, seconds }));
    // The order of the two multi-instance runs alternates too.
    const pair = [() => oneRun({ root, uri, instances, concurrency, seconds }), () => oneRun({ root, uri, instances, concurrency, seconds, disjoint: true })];
    for (const run of round % 2 ? pair.reverse() : pair) {
      const result = await run();
      (result.numbering === 'leased' ? many : control).push(result);
    }
  }
  const mean = (runs) => runs.reduce((n, r) => n + r.perSecond, 0) / runs.length;
  return {
    one,
    many,
    control,
    ratio: +(mean(many) / mean(one)).toFixed(2),
    // The share of throughput that numbering conflicts take (negative: within the noise).
    conflictCost: +(1 - mean(many) / mean(control)).toFixed(3),
  };
}

if (process.env.NUMBERING_BENCH_CHILD) {
  await child();
} else if (resolve(process.argv[1] ?? '') === HERE) {
  const { startFerretDb } = require(join(ROOT, 'dist/src/localdb/ferretdb.js'));
  const dir = mkdtempSync(join(tmpdir(), 'numbering-bench-'));
  const db = await startFerretDb({ dataDir: dir, port: await freePort() });
  try {
    const result = await numberingCompared({
      root: resolve(process.env.BENCH_ROOT ?? ROOT),
      uri: db.uri,
      seconds: Number(process.env.BENCH_SECONDS ?? 10),
      concurrency: Number(process.env.BENCH_CONCURRENCY ?? 24),
      rounds: Number(process.env.BENCH_ROUNDS ?? 2),
    });
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
