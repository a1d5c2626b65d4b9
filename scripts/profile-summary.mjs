// Summarises a V8 .cpuprofile (node --cpu-prof) by where the time goes: self time grouped by
// package or project area, so one accepted or rejected request can be split into routing,
// validation, authentication, database, logging, HTTP and the rest; then the functions with the
// most self time, and the project's own functions (src/) by inclusive time and by the src-only
// call path that led to each sample, which charges library work to the project code that asked.
// node scripts/profile-summary.mjs <profile> [requests] [--from=<µs> --to=<µs>] [--cpu=<µs>] [--top=<n>]
// (--from/--to: a window on the monotonic clock, as the bench records its loads, so start-up and
// shut-down are left out; --cpu: the main thread's measured CPU µs per request, which the shares
// are turned into). The bench imports summarise() for its --only=cpu profiles.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const RUNTIME = 'Node.js runtime (HTTP, streams, timers)';
const AREAS = [
  [/node_modules\/openapi-backend\/|node_modules\/lodash\//, 'routing (openapi-backend)'],
  [/node_modules\/ajv|\/src\/http\/validationErrors|node_modules\/fast-uri/, 'validation (Ajv)'],
  [/\/src\/auth\/|\/src\/http\/securityHandlers|\/src\/limits\//, 'auth and rate limits'],
  [/node_modules\/(mongodb|bson)\/|\/src\/store\//, 'database (driver, store)'],
  [/node_modules\/(pino|sonic-boom|thread-stream|fast-redact|quick-format-unescaped)|\/src\/http\/requestLog|\/src\/logger/, 'logging (pino)'],
  [/node_modules\/(express|router|body-parser|raw-body|helmet|content-type|qs|send|finalhandler|on-finished|type-is|mime|iconv-lite)/, 'express, helmet, body reading'],
  [/node_modules\/prom-client|\/src\/metrics|\/src\/http\/requestMetrics/, 'metrics'],
  [/\/src\//, 'service code (other)'],
  [/^node:|^internal\/|^$/, RUNTIME],
];
const isOwn = (url) => /\/src\//.test(url) && !url.includes('/node_modules/');

/** A frame's name: function, then the file from src/ or node_modules/ on, and the line. */
function frameName({ functionName, url, lineNumber }) {
  const file = url.replace(/^file:\/\//, '').replace(/^.*?\/(node_modules\/|dist\/src\/|src\/)/, '$1').replace(/^dist\//, '');
  return `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`;
}

/**
 * Native writes (sockets, and fs for log lines). Their samples are mostly time the thread waited,
 * not worked: a write wakes its reader (the load generator, the database), which on shared cores
 * often preempts the writer as the call returns, and the next sample lands there. /proc shows
 * the kernel's share of the CPU to be far smaller, so they are counted apart, and the shares
 * below are of the rest (the main thread's user time, when the bench gives it).
 */
const SYSCALLS = new Set(['writeUtf8String', 'writeBuffer', 'writev', 'writeString', 'writeBuffers', 'writeLatin1String', 'writeAsciiString', 'writeUcs2String']);

/**
 * Where the busy samples of `profile` went, within [from, to] µs when given. Each sample counts
 * once (a late sample is not weighted by its delay). `cpuMicrosPerRequest` (the main thread's user
 * CPU per request, from /proc) turns shares into µs per request; without it, the samples' wall
 * time per request is used. Idle samples are left out; (program) (native code with no JS on the
 * stack) and (garbage collector) are counted, since the CPU time includes them.
 */
export function summarise(profile, { from = -Infinity, to = Infinity, requests = 0, cpuMicrosPerRequest = 0, systemMicrosPerRequest = null, top = 15 } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const interval = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length);
  const self = new Map();
  const areas = new Map();
  const inclusive = new Map();
  const paths = new Map();
  let busy = 0;
  let writes = 0;
  let gc = 0;
  let t = profile.startTime;
  const add = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < from || t > to) continue;
    const leaf = byId.get(profile.samples[i]);
    const { functionName, url } = leaf.callFrame;
    if (functionName === '(idle)') continue;
    if (SYSCALLS.has(functionName)) {
      writes += 1;
      continue;
    }
    busy += 1;
    if (functionName === '(garbage collector)') gc += 1;
    add(self, frameName(leaf.callFrame));
    add(areas, functionName === '(garbage collector)' ? 'garbage collection' : functionName === '(program)' ? 'native, no JS on the stack ((program))' : (AREAS.find(([re]) => re.test(url))?.[1] ?? 'other libraries'));
    // The project's frames on this sample's stack, innermost first.
    const own = [];
    for (let id = leaf.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id).callFrame;
      if (isOwn(frame.url)) own.push(frameName(frame));
    }
    for (const name of new Set(own)) add(inclusive, name);
    // The innermost five, outermost first, and the innermost's file.
    if (own.length > 0) add(paths, `${own.slice(0, 5).reverse().map((name) => name.split(' ')[0]).join(' > ')} [${own[0]}]`);
  }
  const perRequest = cpuMicrosPerRequest || (requests ? ((busy + writes) * interval) / requests : 0);
  const rows = (map, n) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, count]) => ({ name, share: +((100 * count) / busy).toFixed(1), microsPerRequest: perRequest ? +((perRequest * count) / busy).toFixed(1) : null }));
  return {
    samples: busy,
    requests,
    microsPerRequest: perRequest ? +perRequest.toFixed(1) : null,
    calibrated: Boolean(cpuMicrosPerRequest),
    systemMicrosPerRequest,
    writeShare: +((100 * writes) / Math.max(1, busy + writes)).toFixed(1),
    gcShare: +((100 * gc) / Math.max(1, busy)).toFixed(1),
    areas: rows(areas, Infinity),
    self: rows(self, top),
    ownInclusive: rows(inclusive, top),
    ownPaths: rows(paths, top),
  };
}

/** Markdown tables of a summary. */
export function summaryLines(s, title = 'profile') {
  const table = (heading, list) => [
    '',
    `| ${heading} | share | µs per request |`,
    '| --- | ---: | ---: |',
    ...list.map((r) => `| ${r.name.replaceAll('|', '\\|')} | ${r.share}% | ${r.microsPerRequest ?? ''} |`),
  ];
  return [
    `${title}: ${s.samples} busy samples on the main thread${s.requests ? ` over ${s.requests} requests` : ''}, shared out as ${s.microsPerRequest} µs per request (${s.calibrated ? `the main thread's user time, from /proc; its system time, ${s.systemMicrosPerRequest} µs, is not shared out` : 'wall time of the samples'}); garbage collection ${s.gcShare}% of them; native writes, left out, ${s.writeShare}% of all.`,
    ...table('where (self time)', s.areas),
    ...table('function (self time)', s.self),
    ...table('project function (inclusive time)', s.ownInclusive),
    ...table('project call path (src frames only; self time of the innermost src frame and the libraries it called)', s.ownPaths),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const option = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const [file, requests] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const summary = summarise(profile, { requests: Number(requests ?? 0), cpuMicrosPerRequest: Number(option('cpu') ?? 0), from: Number(option('from') ?? -Infinity), to: Number(option('to') ?? Infinity), top: Number(option('top') ?? 15) });
  console.log(summaryLines(summary, file).join('\n'));
}
