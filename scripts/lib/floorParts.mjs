// Part of what the issue forbids the service to drop, in the plainest form the fixed design's
// libraries allow, for the framework floor (scripts/lib/floorServer.mjs --mandated=...): the floor
// plus these is a lower bound on what any build of the contract costs. A subset only: the 422's
// error details, the log line's problems, the hazard scan and the header checks are left out, so
// the true minimum is higher still.
import { hash, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * key: the partner found by the SHA-256 of its key, a token bucket; headers: helmet's, the
 * request id, RateLimit and RateLimit-Policy; log: one pino line per request; metrics: a
 * prom-client counter and histogram; store: each accepted event's fingerprint, and the event
 * written (w: majority, j: true) in a shared insertMany before its 201; deliveries: a record of
 * each request, packed into one document a second (the delivery log, on by default).
 */
export const PARTS = ['key', 'headers', 'log', 'metrics', 'store', 'deliveries'];

/** The parts named, for a floor in `root`; the database (FLOOR_MONGODB_URI, FLOOR_DB_NAME) only when a part writes. */
export async function mandatedParts(root, parts, env = process.env) {
  const unknown = parts.filter((p) => !PARTS.includes(p));
  if (unknown.length > 0) throw new Error(`unknown floor parts: ${unknown.join(', ')}`);
  const has = new Set(parts);
  const require = createRequire(join(root, 'package.json'));
  const { secureHeaders } = require(join(root, 'dist/src/http/secureHeaders.js'));
  const log = require('pino')({ level: 'info' });
  const prom = require('prom-client');
  const registry = new prom.Registry();
  const requests = new prom.Counter({ name: 'floor_requests_total', help: 'requests', labelNames: ['operation', 'status'], registers: [registry] });
  const latency = new prom.Histogram({ name: 'floor_request_seconds', help: 'latency', labelNames: ['operation'], registers: [registry] });
  const setSecureHeaders = secureHeaders();
  // The partner cache: the bench partner's key, by its SHA-256 (FLOOR_KEY_DIGEST).
  const partners = new Map([[env.FLOOR_KEY_DIGEST, { name: 'bench', burst: 1e9, rate: 1e6, tokens: 1e9, at: performance.now() }]]);

  let events;
  let deliveries;
  if (has.has('store') || has.has('deliveries')) {
    const { MongoClient } = require('mongodb');
    const client = await MongoClient.connect(env.FLOOR_MONGODB_URI, { writeConcern: { w: 'majority', journal: true } });
    const db = client.db(env.FLOOR_DB_NAME);
    await db.dropDatabase();
    events = db.collection('events');
    await events.createIndex({ event_id: 1 }, { unique: true });
    await events.createIndex({ idempotency_key: 1 }, { unique: true });
    deliveries = db.collection('deliveries');
  }
  const writeEvent = events && groupCommit(events);
  let records = [];
  if (has.has('deliveries')) {
    setInterval(() => {
      if (records.length === 0) return;
      const text = JSON.stringify(records);
      records = [];
      void deliveries.insertOne({ at: new Date(), records: text }).catch(() => undefined);
    }, 1000).unref();
  }
  let nextId = 0;

  return {
    /** Before routing: the partner, its bucket, the request id and the headers; undefined when the key is refused. */
    begin(req, res) {
      const started = performance.now();
      const seen = { partner: { name: 'bench' }, requestId: randomUUID(), started };
      if (has.has('key')) {
        const partner = partners.get(hash('sha256', (req.headers.authorization ?? '').slice('Bearer '.length), 'hex'));
        if (!partner) return undefined;
        partner.tokens = Math.min(partner.burst, partner.tokens + ((started - partner.at) / 1000) * partner.rate) - 1;
        partner.at = started;
        seen.partner = partner;
      }
      if (has.has('headers')) {
        setSecureHeaders(res);
        res.setHeader('X-Request-Id', seen.requestId);
        res.setHeader('RateLimit-Policy', `"${seen.partner.name}";q=${seen.partner.burst};w=1`);
        res.setHeader('RateLimit', `"${seen.partner.name}";r=${Math.floor(seen.partner.tokens)};t=0`);
      }
      return seen;
    },
    /** An accepted event: fingerprinted and written before its 201; its event_id. */
    async store(text, body) {
      const id = ++nextId;
      if (!writeEvent) return id;
      const { event_type, appointment_id, patient_id, timestamp, notes } = body;
      const fingerprint = hash('sha256', text, 'hex');
      await writeEvent({ event_type, appointment_id, patient_id, timestamp: new Date(timestamp), notes, event_id: id, idempotency_key: `bench:${fingerprint}`, received_at: new Date() });
      return id;
    },
    /** After the reply: the log line, the metrics and the delivery record. */
    end(seen, status, eventId) {
      const ms = performance.now() - seen.started;
      if (has.has('log')) {
        const line = { req_id: seen.requestId, method: 'POST', operation: 'receiveAppointmentEvent', partner: seen.partner.name, status, ms };
        if (eventId !== undefined) line.event_id = eventId;
        if (status >= 400) log.warn(line, 'request rejected');
        else log.info(line, 'request completed');
      }
      if (has.has('metrics')) {
        requests.inc({ operation: 'receiveAppointmentEvent', status: String(status) });
        latency.observe({ operation: 'receiveAppointmentEvent' }, ms / 1000);
      }
      if (has.has('deliveries')) {
        const record = { request_id: seen.requestId, partner: seen.partner.name, at: new Date(), status, ms };
        if (eventId !== undefined) record.event_id = eventId;
        records.push(record);
      }
    },
  };
}

/** Documents queued while one insertMany is out go in the next: each resolves once its own is written. */
function groupCommit(collection) {
  let queue = [];
  let busy = false;
  const flush = async () => {
    busy = true;
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        await collection.insertMany(batch.map((b) => b.doc), { ordered: true });
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    busy = false;
  };
  return (doc) =>
    new Promise((resolve, reject) => {
      queue.push({ doc, resolve, reject });
      if (!busy) void flush();
    });
}
