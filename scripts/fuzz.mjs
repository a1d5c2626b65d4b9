// Fuzzes the running service against openapi.yaml with Schemathesis, as part of `npm test`.
// Starts its own local database and service on free ports, creates a partner for the run,
// runs every check in every phase with a fixed seed, and fails unless there are zero failures and
// at least MIN_REQUESTS generated test cases. Schemathesis' own report goes to reports/ (text and
// JUnit), not to the console: it closes with a pytest-style "=== … in Ns ===" line, which CI
// would read as a run without tests. The console gets the figures in a few plain lines, and
// reports/fuzz-summary.json the totals for scripts/run-tests.mjs.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './lib/freePort.mjs';

const require = createRequire(import.meta.url);
const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const MIN_REQUESTS = 1000;
const REPORTS = join(ROOT, 'reports');
const METRICS_TOKEN = `fuzz-metrics-${process.pid}-${Date.now()}`;
const OPERATOR_TOKEN = `fuzz-operator-${process.pid}-${Date.now()}`;

const { startFerretDb } = require(join(ROOT, 'dist/src/localdb/ferretdb.js'));
const { openStores } = require(join(ROOT, 'dist/src/store/stores.js'));
const { registerPartner } = require(join(ROOT, 'dist/src/auth/registerPartner.js'));
const { generateConsumerToken, hashConsumerToken } = require(join(ROOT, 'dist/src/auth/credentials.js'));

const install = spawnSync('bash', [join(ROOT, 'scripts/install-schemathesis.sh')], { stdio: 'inherit' });
if (install.status !== 0) process.exit(1);

const dir = mkdtempSync(join(tmpdir(), 'appointment-webhooks-fuzz-'));
const db = await startFerretDb({ dataDir: dir, port: await freePort() });
let service;
let code = 1;
let totals = { passed: 0, failed: 1 };
try {
  const dbName = 'fuzz';
  const stores = await openStores({ uri: db.uri, dbName, timeoutMs: 5000 });
  // The fuzzer is one fast client: a high partner limit keeps its valid requests from being throttled.
  const { apiKey } = await registerPartner(stores.partners, { name: 'schemathesis', ratePerSecond: 100000 });
  // The read routes take a consumer token; this one may read every partner's events.
  const consumerToken = generateConsumerToken();
  await stores.consumers.add('schemathesis-reader', hashConsumerToken(consumerToken), null);
  await stores.close();

  const port = await freePort();
  service = spawn(process.execPath, [join(ROOT, 'dist/src/server.js')], {
    // It also sends thousands of deliberately unauthenticated requests from one address, which
    // would otherwise trip the per-address limit and leave the rest of the run answered 429.
    env: {
      ...process.env,
      PORT: String(port),
      MONGODB_URI: db.uri,
      MONGODB_DB: dbName,
      SUPPORT_EMAIL: 'support@example.test',
      LOG_LEVEL: 'silent',
      UNAUTHENTICATED_RATE_LIMIT_PER_SECOND: '100000',
      UNAUTHENTICATED_RATE_LIMIT_BURST: '100000',
      METRICS_TOKEN,
      OPERATOR_TOKEN,
    },
    stdio: 'ignore',
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if ((await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200) break;
    if (i > 200 || service.exitCode !== null) throw new Error('the service did not start');
    await new Promise((r) => setTimeout(r, 50));
  }

  mkdirSync(REPORTS, { recursive: true });
  const st = spawn(
    join(ROOT, '.local/bin/st'),
    [
      '--config-file', join(ROOT, 'test/fuzz/schemathesis.toml'),
      'run', join(ROOT, 'openapi.yaml'),
      '--url', base,
      '--checks', 'all',
      '--mode', 'all',
      '--phases', process.env.FUZZ_PHASES ?? 'examples,coverage,fuzzing,stateful',
      // One worker: Python 3.11 (what this machine has) can fail parsing sources from two
      // threads at once ("AST constructor recursion depth mismatch", CPython gh-106905).
      '--workers', '1',
      '--request-timeout', '10',
      '--report', 'junit',
      '--report-junit-path', join(REPORTS, 'schemathesis-junit.xml'),
      '--output-sanitize', 'true',
      '--no-color',
    ],
    // Hooks are imported as a module from the working directory; the credentials reach the
    // configuration's auth sections through the environment.
    {
      cwd: join(ROOT, 'test/fuzz'),
      env: { ...process.env, SCHEMATHESIS_HOOKS: 'hooks', FUZZ_API_KEY: apiKey, FUZZ_CONSUMER_TOKEN: consumerToken, FUZZ_METRICS_TOKEN: METRICS_TOKEN, FUZZ_OPERATOR_TOKEN: OPERATOR_TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  st.stdout.on('data', (chunk) => (output += chunk));
  st.stderr.on('data', (chunk) => (output += chunk));
  const [stCode] = await once(st, 'exit');
  writeFileSync(join(REPORTS, 'schemathesis.txt'), output);
  totals = summarise(output, stCode);
  code = totals.failed === 0 ? 0 : 1;
} finally {
  if (service && service.exitCode === null) {
    service.kill('SIGTERM');
    await once(service, 'exit');
  }
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(REPORTS, { recursive: true });
  writeFileSync(join(REPORTS, 'fuzz-summary.json'), JSON.stringify(totals));
}
process.exit(code);

/**
 * Schemathesis' figures in plain lines. On failure its report is shown too, with its banner lines
 * ("=== … ===") turned into plain headings.
 */
function summarise(output, stCode) {
  const cases = /Test cases:\s*\n?\s*(\d+) generated, (\d+) passed(?:, (\d+) failed)?(?:, (\d+) skipped)?/.exec(output);
  const generated = Number(cases?.[1] ?? 0);
  const passed = Number(cases?.[2] ?? 0);
  const skipped = Number(cases?.[4] ?? 0);
  let failed = Number(cases?.[3] ?? 0);
  const problems = [];
  if (stCode !== 0) problems.push(`Schemathesis exited with ${stCode}`);
  if (generated < MIN_REQUESTS) problems.push(`only ${generated} test cases were generated; at least ${MIN_REQUESTS} are required`);
  if (problems.length > 0) {
    console.log(output.replace(/^=+ (.*?) =+$/gm, '-- $1 --'));
    failed = Math.max(failed, 1);
  }
  const phases = [...output.matchAll(/^\s*(?:✅|❌|🚫|⏭)\s+(Examples|Coverage|Fuzzing|Stateful) \(in/gm)].map((m) => m[1].toLowerCase());
  const warnings = [...output.matchAll(/^\s*⚠️\s*(.+)$/gm)].map((m) => m[1].trim());
  console.log(`fuzz: Schemathesis checked ${generated} test cases against openapi.yaml (phases: ${phases.join(', ') || 'none'}): ${passed} passed, ${failed} failed, ${skipped} skipped`);
  for (const warning of warnings) console.log(`fuzz: warning: ${warning}`);
  for (const problem of problems) console.log(`fuzz: ${problem}`);
  console.log('fuzz: full report in reports/schemathesis.txt and reports/schemathesis-junit.xml');
  return { passed, failed };
}
