/**
 * The alert rules in ops/: promtool checks and unit-tests them, and a real Prometheus scrapes the
 * running service once, so a rule that names a metric the service does not expose fails here rather
 * than staying silent in production. promtool and prometheus come from scripts/install-prometheus.sh.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../src/paths';
import { anEvent } from '../helpers/builders';
import { freePort } from '../helpers/freePort';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';
import { sleep, within } from '../helpers/time';

const OPS = join(PROJECT_ROOT, 'ops');
const TOKEN = 'metrics-token-alerts-0123456789';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
}
interface AlertTest {
  alertname: string;
  exp_alerts?: unknown[] | null;
}
const rules: Rule[] = (parse(readFileSync(join(OPS, 'alerts.yml'), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const alertNames = rules.flatMap((r) => (r.alert ? [r.alert] : []));

/** The binary on PATH (or in /usr/bin, where Debian puts it), or a failure that says how to get it. */
function binary(name: string): string {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/bin']) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  throw new Error(`${name} not found: run scripts/install-prometheus.sh (npm run test:setup does)`);
}

/** Runs a command to its end: its exit code and everything it wrote. */
function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: OPS, timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** Metric names a rule expression reads: string literals are dropped first, so label values do not count. */
function metricsIn(expr: string): string[] {
  const code = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...code.matchAll(/\b(webhook_[a-z0-9_]+|up)\b/g)].map((m) => m[1]!);
}

describe('alert rules (ops/alerts.yml)', () => {
  test('when promtool checks the rules, then they are valid and it finds every rule in the file', async () => {
    const { code, output } = await run(binary('promtool'), ['check', 'rules', 'alerts.yml']);
    expect(output).toMatch(/SUCCESS: \d+ rules found/);
    expect(code).toBe(0);
    expect(Number(/SUCCESS: (\d+) rules found/.exec(output)![1])).toBe(rules.length);
    expect(alertNames.length).toBeGreaterThanOrEqual(7);
    for (const name of alertNames) expect(name).toMatch(/^Webhook[A-Z][A-Za-z]+$/);
  });

  test('when promtool runs the unit tests, then they pass, and every alert has a case that fires and one that must not', async () => {
    const { code, output } = await run(binary('promtool'), ['test', 'rules', 'alerts.test.yml']);
    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('SUCCESS') });

    const tests = (parse(readFileSync(join(OPS, 'alerts.test.yml'), 'utf8')) as { tests: { alert_rule_test?: AlertTest[] }[] }).tests;
    const cases = tests.flatMap((t) => t.alert_rule_test ?? []);
    const fires = new Set(cases.filter((c) => (c.exp_alerts ?? []).length > 0).map((c) => c.alertname));
    const quiet = new Set(cases.filter((c) => (c.exp_alerts ?? []).length === 0).map((c) => c.alertname));
    expect(alertNames.filter((name) => !fires.has(name))).toEqual([]);
    expect(alertNames.filter((name) => !quiet.has(name))).toEqual([]);
    // A case for an alert that no longer exists would pass vacuously.
    expect(cases.map((c) => c.alertname).filter((name) => !alertNames.includes(name))).toEqual([]);
  });

  test('when the rules name metrics, then the names are extracted from the expressions', () => {
    expect(metricsIn('sum by (le) (rate(webhook_x_bucket{job="up"}[5m])) > 0 or up == 0')).toEqual(['webhook_x_bucket', 'up']);
    expect(new Set(rules.flatMap((r) => metricsIn(r.expr))).size).toBeGreaterThanOrEqual(6);
  });
});

describe('a real Prometheus scraping the running service', () => {
  const dirs: string[] = [];
  let app: TestApp | undefined;
  let prometheus: ChildProcess | undefined;
  let api = '';
  let output = '';

  beforeAll(async () => {
    app = await startTestApp({ dbName: dbNameFor(__filename), config: { metricsToken: TOKEN } });
    // Labelled counters have no series until something is counted: one accepted event, one refused.
    expect((await app.post(anEvent())).status).toBe(201);
    expect((await app.post(anEvent({ timestamp: 'yesterday' }))).status).toBe(422);

    const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'token'), TOKEN);
    const config = {
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      scrape_configs: [
        {
          job_name: 'webhook', // the job ops/alerts.yml expects
          metrics_path: '/metrics',
          authorization: { type: 'Bearer', credentials_file: join(dir, 'token') },
          static_configs: [{ targets: [new URL(app.url).host] }],
        },
      ],
    };
    writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config));
    const port = await freePort();
    api = `http://127.0.0.1:${port}/api/v1`;
    prometheus = spawn(
      binary('prometheus'),
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    prometheus.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  }, 20_000);

  afterAll(async () => {
    const child = prometheus;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      if ((await within(exited, 5_000)) === undefined) {
        child.kill('SIGKILL');
        await within(exited, 2_000);
      }
    }
    await app?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 15_000);

  async function query(path: string, params: Record<string, string>): Promise<any> {
    const res = await fetch(`${api}/${path}?${new URLSearchParams(params).toString()}`);
    const body: any = await res.json();
    if (body.status !== 'success') throw new Error(`${path}: ${JSON.stringify(body)}`);
    return body.data;
  }

  test('when it has scraped the service once, then every metric the alert rules read has a series', async () => {
    const deadline = Date.now() + 20_000;
    let up = '';
    while (Date.now() < deadline && up !== '1') {
      if (prometheus?.exitCode !== null || prometheus.signalCode !== null) throw new Error(`prometheus exited: ${output}`);
      up = await query('query', { query: 'up{job="webhook"}' }).then(
        (data) => (data.result[0]?.value?.[1] as string | undefined) ?? '',
        () => '', // not listening yet
      );
      if (up !== '1') await sleep(250);
    }
    expect({ up, output: up === '1' ? '' : output }).toEqual({ up: '1', output: '' });

    const names = [...new Set(rules.flatMap((r) => metricsIn(r.expr)))].sort();
    const missing: string[] = [];
    for (const name of names) {
      // A histogram's _bucket/_sum/_count are checked as themselves, once its metadata says it is one.
      const base = /^(.*)_(bucket|sum|count)$/.exec(name)?.[1];
      if (base !== undefined) {
        const metadata = await query('metadata', { metric: base });
        if (metadata[base]?.[0]?.type !== 'histogram') missing.push(`${name} (no histogram ${base})`);
      }
      const series = await query('series', { 'match[]': `${name}{job="webhook"}` });
      if (series.length === 0) missing.push(name);
    }
    expect(missing).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['up', 'webhook_db_up', 'webhook_db_write_duration_seconds_bucket']));
  }, 30_000);
});
