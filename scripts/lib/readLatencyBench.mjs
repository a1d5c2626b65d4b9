// Read latency with many stored events, for npm run bench: GET /appointments, GET /events and
// GET /feed one request at a time, on a database loaded directly with the service's documents.
import { summary, tally } from './stats.mjs';

const PARTNER = 'bench';
// Five events per appointment, in the order a partner would send them.
const LIFE = ['appointment.scheduled', 'appointment.rescheduled', 'appointment.rescheduled', 'appointment.rescheduled', 'appointment.completed'];

const CHUNK = 1000; // the service's default FEED_CHUNK_SIZE

/**
 * `count` events spread over `appointments` appointments of one partner, stored as the service
 * stores them, with event_ids 1..count interleaved across appointments as deliveries would be,
 * the event_id hint set so that the service numbers on from `count`, and the feed's chunks
 * written as its sequencer writes them (chunk n holds events (n-1)*CHUNK+1 to n*CHUNK): the
 * state of a database that has been running, not one whose feed must first catch up.
 */
async function load(client, dbName, { count, appointments, toUnnumberedDocument, idempotencyOf, readableEvent, feedChunks, toChunkDocument, feedHead }) {
  const db = client.db(dbName);
  const events = db.collection('appointment_events');
  const start = Date.now() - count * 10;
  for (let from = 1; from <= count; from += CHUNK) {
    const docs = [];
    for (let id = from; id < from + CHUNK && id <= count; id++) {
      const a = (id - 1) % appointments;
      const round = Math.floor((id - 1) / appointments);
      const e = {
        event_type: LIFE[Math.min(round, LIFE.length - 1)],
        appointment_id: `R${a}`,
        patient_id: `P${a % 10000}`,
        timestamp: new Date(start + id * 10).toISOString(),
        notes: 'Benchmark event, annual physical',
      };
      docs.push({ event_id: id, ...toUnnumberedDocument(e, new Date(start + id * 10 + 5), PARTNER, idempotencyOf(PARTNER, e, {})) });
    }
    await events.insertMany(docs);
    const chunk = { number: Math.ceil(from / CHUNK), first_position: from, events: docs.map(readableEvent) };
    await db.collection(feedChunks).insertOne(toChunkDocument(chunk));
  }
  await db.collection('sequences').updateOne({ _id: 'event_id' }, { $max: { highest: count } }, { upsert: true });
  await db.collection('sequences').updateOne({ _id: feedHead }, { $max: { highest: Math.ceil(count / CHUNK) } }, { upsert: true });
}

/** One timed GET: its status, its milliseconds and its parsed body (undefined when not JSON). */
async function timedGet(url, headers) {
  const started = performance.now();
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(120000) });
  const text = await res.text();
  const ms = performance.now() - started;
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, ms, body };
}

/**
 * Loads the events and their feed, starts the service on them, then times `requests` rounds of four reads,
 * one request at a time, each round for a random appointment, event and feed position (fewer
 * rounds when `budgetSeconds` runs out first: each summary says how many it covers).
 */
export async function readsOnStoredEvents(options) {
  const { MongoClient, dbUri, service, stopProcess, dropDatabase, count, appointments, requests, budgetSeconds, encodeFeedCursor, log } = options;
  const dbName = 'bench_reads';
  const client = await MongoClient.connect(dbUri);
  const result = { events: count, appointments, partner: PARTNER };
  try {
    log(`bench: loading ${count} events over ${appointments} appointments, and their feed...`);
    let t = performance.now();
    await load(client, dbName, options);
    result.loadMs = Math.round(performance.now() - t);

    log('bench: starting the service on them...');
    t = performance.now();
    // The database budget raised to 60 s, so that what is timed is the database's answer; with the
    // default (2.5 s) the reads that scan the local database all end in 503 at the budget.
    const svc = await service(dbName, { DB_TIMEOUT_MS: '60000' }, PARTNER, 300_000);
    result.startMs = Math.round(performance.now() - t);
    const base = new URL(svc.url).origin;
    try {
      log(`bench: ${requests} rounds of reads...`);
      const kinds = {
        appointment: { ms: [], statuses: [], wrong: 0 },
        eventsOfAppointment: { ms: [], statuses: [], wrong: 0 },
        eventById: { ms: [], statuses: [], wrong: 0 },
        feedPage: { ms: [], statuses: [], wrong: 0 },
      };
      const perAppointment = (a) => Math.floor(count / appointments) + (a < count % appointments ? 1 : 0);
      const record = (kind, reply, right) => {
        kinds[kind].ms.push(reply.ms);
        kinds[kind].statuses.push(reply.status);
        if (reply.status === 200 && !right(reply.body)) kinds[kind].wrong += 1;
      };
      const until = performance.now() + budgetSeconds * 1000;
      for (let i = 0; i < requests && performance.now() < until; i++) {
        if (i > 0 && i % 10 === 0) log(`bench: ${i} rounds of reads done...`);
        const a = Math.floor(Math.random() * appointments);
        const id = 1 + Math.floor(Math.random() * count);
        const position = Math.floor(Math.random() * count); // events before the page
        const after = encodeFeedCursor({ chunk: 1 + Math.floor(position / CHUNK), offset: position % CHUNK });
        record('appointment', await timedGet(`${base}/appointments/${PARTNER}/R${a}`, svc.read), (b) => b.event_count === perAppointment(a));
        record('eventsOfAppointment', await timedGet(`${base}/events?appointment_id=R${a}&partner=${PARTNER}&limit=100`, svc.read), (b) => b.data.length === perAppointment(a));
        record('eventById', await timedGet(`${base}/events/${id}`, svc.read), (b) => b.event_id === id);
        record('feedPage', await timedGet(`${base}/feed?limit=100&after=${after}`, svc.read), (b) => b.data[0]?.feed_position === position + 1);
      }
      for (const [kind, k] of Object.entries(kinds)) result[kind] = { ...summary(k.ms), statuses: tally(k.statuses), wrong: k.wrong };
      // The service numbers on from the loaded events (the hint above): the next event is count + 1.
      const res = await fetch(svc.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...svc.auth },
        body: JSON.stringify({ event_type: 'appointment.scheduled', appointment_id: 'R-next', patient_id: 'P1', timestamp: new Date().toISOString() }),
        signal: AbortSignal.timeout(120000),
      });
      const written = await res.json().catch(() => ({}));
      result.nextWrite = { status: res.status, eventId: written.event_id ?? null, expected: count + 1 };
    } finally {
      await stopProcess(svc.child);
    }
  } finally {
    await client.close();
    await dropDatabase(dbName);
  }
  return result;
}
