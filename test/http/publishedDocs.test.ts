import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { AppError } from '../../src/errors';
import type { Idempotency } from '../../src/idempotency';
import { send } from '../helpers/http';
import { aPartner } from '../helpers/partners';
import { spec } from '../helpers/spec';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

/** What the lossy service saw of each delivery attempt, by partner. */
interface Attempt {
  at: number;
  key: string;
  source: Idempotency['source'];
}

let app: TestApp;
let lossy: TestApp;
const attempts = new Map<string, Attempt[]>();
beforeAll(async () => {
  const dbName = dbNameFor(__filename);
  app = await startTestApp({ dbName });
  // A lost acknowledgement: each partner's first event is stored, but the reply is a 503 (the
  // database did not confirm in time), so the sender cannot know it was stored and must retry.
  lossy = await startTestApp({
    dbName,
    config: { retryAfterSeconds: 1 },
    wrapStore: (store) => ({
      ...store,
      async saveEvent(event, receivedAt, partner, idempotency, timeoutMs) {
        const before = attempts.get(partner) ?? [];
        attempts.set(partner, [...before, { at: Date.now(), key: idempotency.key, source: idempotency.source }]);
        const saved = await store.saveEvent(event, receivedAt, partner, idempotency, timeoutMs);
        if (before.length === 0) throw new AppError('database_unavailable');
        return saved;
      },
    }),
  });
});
afterAll(async () => {
  await app.stop();
  await lossy.stop();
});

describe('published documentation', () => {
  test('when /docs is requested without a key, then the self-contained page is served with its own content policy', async () => {
    const res = await send(`${app.url}/docs`, { method: 'GET' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.text).toContain('Appointment Events Webhook');
    expect(res.text).not.toMatch(/<script[^>]+src=["']https?:/);
    expect(res.text).not.toMatch(/<link[^>]+href=["']https?:/);
    expect(res.headers.get('content-security-policy')).toMatch(/connect-src 'self'/);
  });

  test('when /openapi.yaml and /openapi.json are requested, then both are the bundled spec with the guide inlined', async () => {
    const yamlReply = await send(`${app.url}/openapi.yaml`, { method: 'GET' });
    const jsonReply = await send(`${app.url}/openapi.json`, { method: 'GET' });
    expect(yamlReply.status).toBe(200);
    expect(yamlReply.headers.get('content-type')).toMatch(/^application\/yaml/);
    expect(jsonReply.status).toBe(200);
    expect(jsonReply.headers.get('content-type')).toMatch(/^application\/json/);

    const fromYaml = parse(yamlReply.text);
    expect(jsonReply.body).toEqual(fromYaml);
    expect(fromYaml.openapi).toBe('3.1.0');
    // Operator-only paths (x-internal) are left out; publishedValues.test.ts checks which.
    expect(Object.keys(fromYaml.paths)).toEqual(Object.keys(spec.paths).filter((path) => !spec.paths[path]['x-internal']));
    expect(typeof fromYaml.info.description).toBe('string');
    expect(yamlReply.text).not.toMatch(/\$ref: docs\//);
  });

  describe('code samples', () => {
    interface Sample {
      lang: string;
      label: string;
      source: string;
    }
    const samples: Sample[] = spec.paths['/webhook/appointment'].post['x-codeSamples'];
    const isSigned = (sample: Sample) => !/unsigned/i.test(sample.label);
    const runners: Record<string, (file: string) => [string, string[]]> = {
      Shell: (file) => ['bash', [file]],
      Python: (file) => ['python3', [file]],
      JavaScript: (file) => [process.execPath, [file]],
    };
    // What every sample prints on stdout when its event is stored.
    const STORED = /^201 event_id=(\d+) replayed=(true|false)$/m;
    const cases = samples.map((s) => [s.label, s] as const);
    let made = 0;

    /** A partner of the sample's kind unless told: with a signing secret for signed samples, without for the unsigned. */
    async function partnerFor(target: TestApp, sample: Sample, signing = isSigned(sample)) {
      const name = `sample-${++made}-${sample.label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
      return aPartner(target.partners, { name, signing });
    }

    /** Runs a sample as a partner would, and resolves with how it ended (it may exit non-zero). */
    async function run(sample: Sample, env: { RECEIVER_URL: string; API_KEY: string; SIGNING_SECRET?: string }) {
      const dir = mkdtempSync(join(tmpdir(), 'sample-'));
      try {
        const file = join(dir, 'sample');
        writeFileSync(file, sample.source);
        const [command, args] = runners[sample.lang]!(file);
        // Asynchronous: the service answering it runs in this very process.
        return await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
          execFile(command, args, { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 20000 }, (error, stdout, stderr) =>
            resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
          );
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }

    test('when the spec is read, then it has signed cURL, Python and Node samples and an unsigned one', () => {
      expect(samples.filter(isSigned).map((s) => s.lang).sort()).toEqual(['JavaScript', 'Python', 'Shell']);
      expect(samples.filter((s) => !isSigned(s))).toHaveLength(1);
      for (const sample of samples) expect(Object.keys(runners)).toContain(sample.lang);
    });

    test.each(cases)('when the %s sample runs against the service, then it gets 201 and the event is stored once', async (_label, sample) => {
      const partner = await partnerFor(app, sample);
      const run1 = await run(sample, { RECEIVER_URL: app.url, API_KEY: partner.apiKey, ...(partner.signingSecret && { SIGNING_SECRET: partner.signingSecret }) });
      expect(run1).toMatchObject({ code: 0, stderr: '' });
      const [, eventId, replayed] = run1.stdout.match(STORED) ?? [];
      expect(replayed).toBe('false');
      const stored = await app.events.find({ partner: partner.name }).toArray();
      expect(stored).toHaveLength(1);
      expect(stored[0]!.event_id).toBe(Number(eventId));
    });

    test.each(cases)(
      'when the service stores the %s sample\'s event but answers 503, then the sample retries with the same id after Retry-After and prints a 201 replay',
      async (_label, sample) => {
        const partner = await partnerFor(lossy, sample);
        const result = await run(sample, { RECEIVER_URL: lossy.url, API_KEY: partner.apiKey, ...(partner.signingSecret && { SIGNING_SECRET: partner.signingSecret }) });
        expect(result.code).toBe(0);
        expect(result.stderr).toMatch(/503/);
        const [, eventId, replayed] = result.stdout.match(STORED) ?? [];
        expect(replayed).toBe('true');

        const stored = await lossy.events.find({ partner: partner.name }).toArray();
        expect(stored).toHaveLength(1);
        expect(stored[0]!.event_id).toBe(Number(eventId));
        // Two attempts under one explicit key (not the payload fallback), the second no sooner than Retry-After.
        const seen = attempts.get(partner.name) ?? [];
        expect(seen).toHaveLength(2);
        expect(seen[1]!.key).toBe(seen[0]!.key);
        expect(seen.map((a) => a.source)).toEqual(Array(2).fill(isSigned(sample) ? 'webhook-id' : 'idempotency-key'));
        expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(1000);
      },
    );

    test.each(cases)('when the %s sample is refused with a 401, then it prints the status and error body and exits non-zero without retrying', async (_label, sample) => {
      // A partner that signs: the signed samples get a wrong secret, the unsigned one sends no signature.
      const partner = await partnerFor(app, sample, true);
      const wrongSecret = `whsec_${randomBytes(32).toString('base64')}`;
      const result = await run(sample, { RECEIVER_URL: app.url, API_KEY: partner.apiKey, ...(isSigned(sample) && { SIGNING_SECRET: wrongSecret }) });
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^401 /m);
      expect(result.stderr).toContain(isSigned(sample) ? 'auth_error.signature_mismatch' : 'auth_error.signature_missing');
      expect(result.stderr).not.toMatch(/retrying/);
      const requests = app.logs.map((line) => JSON.parse(line)).filter((line) => line.partner === partner.name);
      expect(requests.map((line) => line.status)).toEqual([401]);
      expect(await app.events.countDocuments({ partner: partner.name })).toBe(0);
    });
  });
});
