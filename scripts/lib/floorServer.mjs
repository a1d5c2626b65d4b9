// The framework floor for the CPU-per-request bench: express 5 and openapi-backend built from
// openapi.yaml with the service's own construction (createApi: its Ajv 2020 with formats, the 3.1
// definition check skipped, the operation list built once), routing and validating each request
// as the service does, but with every security scheme passing, no logging, no database, and a
// fixed reply: 201 for a request that validates, 422 for one that does not. What the service
// costs beyond this is its own work. Always the bench's own tree (not BENCH_ROOT), so a
// before/after comparison measures both against the same floor.
// With --mandated, the floor also does part of what the service must (scripts/lib/floorParts.mjs),
// on the database FLOOR_MONGODB_URI, FLOOR_DB_NAME.
// Run: node scripts/lib/floorServer.mjs <port> [--mandated[=part,...]]
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const express = require('express');
const { parse } = require('yaml');
const { createApi, libraryRequest } = require(join(ROOT, 'dist/src/http/openapiBackend.js'));

const { mandatedParts, PARTS } = await import(join(ROOT, 'scripts/lib/floorParts.mjs'));

const SPEC = join(ROOT, 'openapi.yaml');
const spec = parse(readFileSync(SPEC, 'utf8'));

// --mandated alone adds every part; --mandated=key,log adds those (see floorParts.mjs).
const mandated = process.argv[3]?.match(/^--mandated(?:=(.+))?$/);
const parts = mandated ? await mandatedParts(ROOT, mandated[1]?.split(',') ?? PARTS) : undefined;
const ACCEPTED_BODY = { status: 'success', message: 'Event received and stored successfully', event_id: 1, received_at: '2025-01-10T12:30:00.000Z', data: { event_type: 'appointment.scheduled', appointment_id: 'A1', patient_id: 'P1' } };
const json = (body) => ({ body: JSON.stringify(body), headers: { 'Content-Type': 'application/json; charset=utf-8' } });
const ACCEPTED = { status: 201, ...json(ACCEPTED_BODY) };
const INVALID = { status: 422, ...json({ status: 'error', error: { code: 'validation_error', message: 'The request body does not match the schema.', details: [] } }) };
const NOT_FOUND = { status: 404, ...json({ status: 'error', error: { code: 'not_found' } }) };

const operationIds = Object.values(spec.paths).flatMap((item) => Object.values(item).flatMap((op) => (op?.operationId ? [op.operationId] : [])));
// Every handler answers the fixed 201: the floor routes and validates, it does no work.
const handlers = Object.fromEntries(operationIds.map((id) => [id, async () => ACCEPTED]));
// No authentication: every scheme lets the request through.
const securityHandlers = Object.fromEntries(Object.keys(spec.components.securitySchemes).map((name) => [name, () => true]));
const refuse = (reply) => (_c, ctx) => void (ctx.reply = reply);
const api = await createApi({
  definition: SPEC,
  handlers,
  securityHandlers,
  hooks: { validationFail: refuse(INVALID), notFound: refuse(NOT_FOUND), methodNotAllowed: refuse(NOT_FOUND), unauthorizedHandler: refuse(NOT_FOUND) },
});

/** The whole body as text; the library JSON-parses a string body before validating it. */
function readText(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.use(async (req, res) => {
  try {
    // Readiness asks without a key; every other request must carry the bench partner's.
    const keyed = parts !== undefined && req.url !== '/readyz';
    const seen = keyed ? parts.begin(req, res) : undefined;
    if (keyed && !seen) return void res.status(401).set(NOT_FOUND.headers).send(NOT_FOUND.body);
    const ctx = { request: libraryRequest(req), reply: undefined };
    const text = await readText(req);
    if (text) ctx.request.body = JSON.parse(text);
    await api.handleRequest(ctx.request, ctx);
    let reply = ctx.reply ?? NOT_FOUND;
    let eventId;
    if (parts && reply === ACCEPTED && req.method === 'POST') {
      eventId = await parts.store(text, ctx.request.body);
      reply = { ...ACCEPTED, ...json({ ...ACCEPTED_BODY, event_id: eventId, received_at: new Date().toISOString() }) };
    }
    res.status(reply.status).set(reply.headers).send(reply.body);
    if (seen) parts.end(seen, reply.status, eventId);
  } catch {
    // A failed write or parse: counted by the bench as an unexpected answer, never a second reply.
    if (res.headersSent) return;
    res.status(400).set(INVALID.headers).send(INVALID.body);
  }
});

createServer(app).listen(Number(process.argv[2]), '127.0.0.1');
// A clean exit, so that --cpu-prof writes its profile when the bench stops this process.
process.on('SIGTERM', () => process.exit(0));
