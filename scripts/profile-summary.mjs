// Summarises a V8 .cpuprofile (node --cpu-prof) by where the time goes: self time grouped by
// package or project area, so one accepted or rejected request can be split into routing,
// validation, authentication, database, logging, HTTP and the rest.
import { readFileSync } from 'node:fs';

const AREAS = [
  [/node_modules\/openapi-backend\/|node_modules\/lodash\//, 'routing (openapi-backend)'],
  [/node_modules\/ajv|\/src\/http\/validationErrors|node_modules\/fast-uri/, 'validation (Ajv)'],
  [/\/src\/auth\/|\/src\/http\/securityHandlers|\/src\/limits\//, 'auth and rate limits'],
  [/node_modules\/(mongodb|bson)\/|\/src\/store\//, 'database (driver, store)'],
  [/node_modules\/(pino|sonic-boom|thread-stream)|\/src\/http\/requestLog|\/src\/logger/, 'logging (pino)'],
  [/node_modules\/(express|router|body-parser|raw-body|helmet|content-type|qs|send|finalhandler|on-finished|type-is|mime)/, 'express, helmet, body reading'],
  [/node_modules\/prom-client|\/src\/metrics|\/src\/http\/requestMetrics/, 'metrics'],
  [/\/src\//, 'service code (other)'],
  [/^node:|^internal\/|^$/, 'Node.js runtime (HTTP, streams, timers, GC)'],
];

const profile = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const interval = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length);
const byArea = new Map();
let total = 0;
for (const node of profile.nodes) {
  const ticks = node.hitCount ?? 0;
  if (!ticks) continue;
  const { url, functionName } = node.callFrame;
  if (functionName === '(idle)' || functionName === '(program)') continue;
  const area = functionName === '(garbage collector)' ? 'Node.js runtime (HTTP, streams, timers, GC)' : (AREAS.find(([re]) => re.test(url))?.[1] ?? 'other libraries');
  byArea.set(area, (byArea.get(area) ?? 0) + ticks);
  total += ticks;
}
const requests = Number(process.argv[3] ?? 0);
console.log('| where | share of busy CPU | µs per request |');
console.log('| --- | ---: | ---: |');
for (const [area, ticks] of [...byArea].sort((a, b) => b[1] - a[1])) {
  const perRequest = requests ? ((ticks * interval) / requests).toFixed(0) : '';
  console.log(`| ${area} | ${((100 * ticks) / total).toFixed(1)}% | ${perRequest} |`);
}
