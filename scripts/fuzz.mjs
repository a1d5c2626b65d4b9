// Fuzzes the running service against openapi.yaml with Schemathesis, as part of `npm test`.
// Starts its own local database and service on free ports, creates a partner for the run,
// runs every check in every phase with a fixed seed, writes reports/schemathesis-junit.xml,
// and fails unless there are zero failures and at least MIN_REQUESTS generated test cases.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './lib/freePort.mjs';

const require = createRequire(import.meta.url);
const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const MIN_REQUESTS = 1000;

const { startFerretDb } = require(join(ROOT, 'dist/src/localdb/ferretdb.js'));
const { openStores } = require(join(ROOT, 'dist/src/store/stores.js'));
const { registerPartner } = require(join(ROOT, 'dist/src/auth/registerPartner.js'));

const install = spawnSync('bash', [join(ROOT, 'scripts/install-schemathesis.sh')], { stdio: 'inherit' });
if (install.status !== 0) process.exit(1);

const dir = mkdtempSync(join(tmpdir(), 'appointment-webhooks-fuzz-'));
const db = await startFerretDb({ dataDir: dir, port: await freePort() });
let service;
let code = 1;
try {
  const dbName = 'fuzz';
  const stores = await openStores({ uri: db.uri, dbName, timeoutMs: 5000 });
  // The fuzzer is one fast client: a high partner limit keeps its valid requests from being throttled.
  const { apiKey } = await registerPartner(stores.partners, { name: 'schemathesis', ratePerSecond: 100000 });
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
      LOG_LEVEL: 'silent',
      UNAUTHENTICATED_RATE_LIMIT_PER_SECOND: '100000',
      UNAUTHENTICATED_RATE_LIMIT_BURST: '100000',
    },
    stdio: 'ignore',
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if ((await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200) break;
    if (i > 200 || service.exitCode !== null) throw new Error('the service did not start');
    await new Promise((r) => setTimeout(r, 50));
  }

  mkdirSync(join(ROOT, 'reports'), { recursive: true });
  const st = spawn(
    join(ROOT, '.local/bin/st'),
    [
      '--config-file', join(ROOT, 'test/fuzz/schemathesis.toml'),
      'run', join(ROOT, 'openapi.yaml'),
      '--url', base,
      '--header', `Authorization: Bearer ${apiKey}`,
      '--checks', 'all',
      '--mode', 'all',
      '--phases', 'examples,coverage,fuzzing,stateful',
      '--workers', '2',
      '--request-timeout', '10',
      '--report', 'junit',
      '--report-junit-path', join(ROOT, 'reports/schemathesis-junit.xml'),
      '--output-sanitize', 'true',
    ],
    // Hooks are imported as a module from the working directory.
    { cwd: join(ROOT, 'test/fuzz'), env: { ...process.env, SCHEMATHESIS_HOOKS: 'hooks' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  st.stdout.on('data', (chunk) => {
    output += chunk;
    process.stdout.write(chunk);
  });
  const [stCode] = await once(st, 'exit');
  const generated = Number(/(\d+) generated/.exec(output)?.[1] ?? 0);
  if (stCode !== 0) {
    console.error(`fuzz: Schemathesis reported failures (exit ${stCode})`);
  } else if (generated < MIN_REQUESTS) {
    console.error(`fuzz: only ${generated} test cases were generated; at least ${MIN_REQUESTS} are required`);
  } else {
    console.log(`fuzz: ${generated} passed, 0 failed`);
    code = 0;
  }
} finally {
  if (service && service.exitCode === null) {
    service.kill('SIGTERM');
    await once(service, 'exit');
  }
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
