// Honest ceilings (--only=cpu): what the database allows when written in the service's own
// batches, and what a request costs in CPU against a bare node:http server and against the
// framework floor (scripts/lib/floorServer.mjs: express + openapi-backend, fixed replies).
// CPU is the server process's own (user + system, all threads, from /proc), so the load
// generator sharing the cores does not count; throughput here is only indicative.
import { join } from 'node:path';
import autocannon from 'autocannon';
import { cpuSeconds } from './cpu.mjs';
import { mandatedLadder } from './floorLadder.mjs';
import { mainThreadSeconds, processTree, syscalls, systemSeconds, threadSeconds } from './procStats.mjs';
import { ratio } from './stats.mjs';

const TARGETS = { rejectedToFloor: 1.25, acceptedToFloor: 1.75 };

/**
 * `insertMany` of `batchSize` documents made as the service makes them, ordered as the service
 * writes them, with the service's write concern, `writers` at a time: documents per second.
 */
export async function batchedCeiling({ MongoClient, dbUri, makeDocument, batchSize, writers, seconds }) {
  const client = await MongoClient.connect(dbUri, { writeConcern: { w: 'majority', journal: true }, maxPoolSize: Math.max(writers, 10) });
  try {
    const collection = client.db(`bench_batched_ceiling_${writers}`).collection('appointment_events');
    // The indexes the service keeps on the local database (src/store/eventStore.ts ensureIndexes).
    await collection.createIndex({ event_id: 1 }, { unique: true });
    await collection.createIndex({ idempotency_key: 1 }, { unique: true });
    await collection.createIndex({ appointment_id: 1, timestamp: 1 });
    await collection.createIndex({ patient_id: 1, timestamp: 1 });
    let id = 0;
    let documents = 0;
    const latencies = [];
    const started = performance.now();
    const until = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: writers }, async () => {
        while (performance.now() < until) {
          const docs = Array.from({ length: batchSize }, () => makeDocument(++id));
          const t = performance.now();
          await collection.insertMany(docs, { ordered: true });
          latencies.push(performance.now() - t);
          documents += docs.length;
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return { writers, batchSize, documentsPerSecond: Math.round(documents / elapsed), batches: latencies.length, batchP50Ms: Math.round(latencies[Math.floor(latencies.length / 2)] ?? 0) };
  } finally {
    await client.close();
  }
}

/** `connections` at a time for `seconds`, counting answers by status. */
async function drive(url, connections, headers, body, seconds) {
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [{ method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, setupRequest: (req) => ({ ...req, body: body() }) }],
  });
  const byStatus = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, s]) => [status, s.count]));
  const answered = Object.values(byStatus).reduce((a, b) => a + b, 0);
  return { answered, byStatus, errors: result.errors + result.timeouts, seconds: result.duration || seconds };
}

/**
 * The server's CPU time over one load divided by the requests it answered with `expected`, after
 * a warm-up (the JIT, the caches) that is not counted. With a profile directory, also the load's
 * window on the monotonic clock, which a --cpu-prof profile's timestamps share.
 */
async function cpuPerRequest({ pid, databasePid, url, headers, body, expected, connections, seconds, warmupSeconds }) {
  if (warmupSeconds > 0) await drive(url, connections, headers, body, warmupSeconds);
  // The whole process tree (a service with WORKERS above 1 serves from its children).
  const pids = processTree(pid);
  const sum = (measure) => pids.reduce((total, p) => total + measure(p), 0);
  const cpuBefore = sum(cpuSeconds);
  const mainBefore = sum(mainThreadSeconds);
  const mainUserBefore = sum((p) => mainThreadSeconds(p, 'user'));
  const threadsBefore = threadSeconds(pid);
  const systemBefore = sum(systemSeconds);
  const ioBefore = { reads: sum((p) => syscalls(p).reads), writes: sum((p) => syscalls(p).writes) };
  const databaseBefore = cpuSeconds(databasePid);
  const from = Number(process.hrtime.bigint() / 1000n);
  const run = await drive(url, connections, headers, body, seconds);
  const to = Number(process.hrtime.bigint() / 1000n);
  const cpu = sum(cpuSeconds) - cpuBefore;
  const main = sum(mainThreadSeconds) - mainBefore;
  const mainUser = sum((p) => mainThreadSeconds(p, 'user')) - mainUserBefore;
  const threads = Object.entries(threadSeconds(pid)).map(([name, s]) => [name, Math.round(((s - (threadsBefore[name] ?? 0)) * 1e6) / Math.max(1, run.answered))]);
  const system = sum(systemSeconds) - systemBefore;
  const io = { reads: sum((p) => syscalls(p).reads), writes: sum((p) => syscalls(p).writes) };
  const databaseCpu = cpuSeconds(databasePid) - databaseBefore;
  const wanted = run.byStatus[expected] ?? 0;
  return {
    perSecond: Math.round(wanted / run.seconds),
    cpuSeconds: +cpu.toFixed(2),
    cpuMicrosPerRequest: wanted ? Math.round((cpu * 1e6) / run.answered) : null,
    // What the main thread did not do itself: V8's GC and compiler threads, libuv's pool.
    offMainThreadShare: cpu ? +(1 - main / cpu).toFixed(2) : null,
    // CPU µs per request by thread name (of the first process): GC helpers, the libuv pool.
    threadMicrosPerRequest: Object.fromEntries(threads.filter(([, us]) => us > 0)),
    // The main thread's user time (JS, GC) and system time (its system calls), for the profiles.
    mainThreadMicrosPerRequest: run.answered ? { user: Math.round((mainUser * 1e6) / run.answered), system: Math.round(((main - mainUser) * 1e6) / run.answered) } : null,
    systemShare: cpu ? +(system / cpu).toFixed(2) : null,
    syscallsPerRequest: { reads: +((io.reads - ioBefore.reads) / run.answered).toFixed(2), writes: +((io.writes - ioBefore.writes) / run.answered).toFixed(2) },
    // The database's CPU over the same load (idle for the servers that never use it).
    databaseCpuMicrosPerRequest: wanted ? Math.round((databaseCpu * 1e6) / run.answered) : null,
    answered: run.answered,
    expected: wanted,
    unexpected: run.answered - wanted,
    byStatus: run.byStatus,
    errors: run.errors,
    window: { from, to },
    pids,
  };
}

/**
 * The CPU part: the batched and single-insert database ceilings, then CPU per request of the
 * service (accepted, 422), a bare node:http server and the framework floor (valid, invalid), each
 * in its own process, started and stopped here. `profileDir` runs each under --cpu-prof.
 */
export async function cpuCompared(deps) {
  const { service, startProcess, stopProcess, freePort, databaseCeiling, log, bareServerSource, validBody, invalidBody, batchSize, writers, connections, seconds, warmupSeconds, profileDir, floorScript, databasePid, ladderRounds = 0 } = deps;
  const ceilings = [];
  for (const n of writers) {
    log(`bench: database ceilings with ${n} writers (insertOne; insertMany of ${batchSize})...`);
    ceilings.push({ writers: n, single: await databaseCeiling(n), batched: await batchedCeiling({ ...deps, writers: n }) });
  }
  const profiled = (name) => (profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, name)}`] : []);
  const measure = { connections, seconds, warmupSeconds, databasePid };
  const servers = {};
  // The floor and the bare server get the same headers as the service, a partner's key included.
  let headers = {};

  const onService = async (name, body, expected) => {
    log(`bench: CPU per request, ${name}...`);
    const env = profileDir ? { NODE_OPTIONS: profiled(name).join(' ') } : {};
    const svc = await service(`bench_cpu_${name}`, env, `bench-cpu-${name.toLowerCase()}`);
    try {
      headers = svc.auth;
      servers[name] = { ...(await cpuPerRequest({ ...measure, pid: svc.child.pid, url: svc.url, headers, body, expected })), pid: svc.child.pid };
    } finally {
      await stopProcess(svc.child);
    }
  };
  await onService('serviceAccepted', validBody, '201');
  await onService('service422', invalidBody, '422');

  const onLocal = async (name, args, paths) => {
    const port = await freePort();
    const child = await startProcess([...profiled(name), ...args(port)], {}, `http://127.0.0.1:${port}/readyz`);
    try {
      for (const [path, body, expected] of paths) {
        log(`bench: CPU per request, ${path}...`);
        servers[path] = { ...(await cpuPerRequest({ ...measure, pid: child.pid, url: `http://127.0.0.1:${port}/webhook/appointment`, headers, body, expected })), pid: child.pid };
      }
    } finally {
      await stopProcess(child);
    }
  };
  await onLocal('bare', (port) => ['-e', bareServerSource(port)], [['bare', validBody, '201']]);
  await onLocal('floor', (port) => [floorScript, String(port)], [['floorAccepted', validBody, '201'], ['floor422', invalidBody, '422']]);

  const ladder = ladderRounds > 0
    ? await mandatedLadder({ ...deps, rounds: ladderRounds, headers, bodies: { 201: validBody, 422: invalidBody }, profiled, measure: (m) => cpuPerRequest({ ...measure, ...m }) })
    : undefined;

  const us = (name) => servers[name]?.cpuMicrosPerRequest ?? 0;
  const ratios = {
    acceptedToFloor: ratio(us('serviceAccepted'), us('floorAccepted')),
    rejectedToFloor: ratio(us('service422'), us('floor422')),
    rejectedToAccepted: ratio(us('service422'), us('serviceAccepted')),
    floorToBare: ratio(us('floorAccepted'), us('bare')),
  };
  const accepted = servers.serviceAccepted?.perSecond ?? 0;
  for (const c of ceilings) c.serviceAccepted = { perSecond: accepted, connections, toBatched: ratio(accepted, c.batched.documentsPerSecond), toSingle: ratio(accepted, c.single.perSecond) };
  return {
    connections,
    seconds,
    warmupSeconds,
    batchSize,
    ceilings,
    servers,
    ratios,
    ladder,
    targets: TARGETS,
    meets: { rejectedToFloor: ratios.rejectedToFloor <= TARGETS.rejectedToFloor, acceptedToFloor: ratios.acceptedToFloor <= TARGETS.acceptedToFloor, rejectedNotAboveAccepted: ratios.rejectedToAccepted <= 1 },
  };
}
