import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { send } from '../helpers/http';
import { aPartner } from '../helpers/partners';
import { spec } from '../helpers/spec';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename) });
});
afterAll(() => app.stop());

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
    expect(Object.keys(fromYaml.paths)).toEqual(Object.keys(spec.paths));
    expect(typeof fromYaml.info.description).toBe('string');
    expect(yamlReply.text).not.toMatch(/\$ref: docs\//);
  });

  describe('code samples', () => {
    const samples: { lang: string; label: string; source: string }[] = spec.paths['/webhook/appointment'].post['x-codeSamples'];
    const runners: Record<string, (file: string) => [string, string[]]> = {
      Shell: (file) => ['bash', [file]],
      Python: (file) => ['python3', [file]],
      JavaScript: (file) => [process.execPath, [file]],
    };

    test('when the spec is read, then it has cURL, Python and Node samples', () => {
      expect(samples.map((s) => s.lang).sort()).toEqual(['JavaScript', 'Python', 'Shell']);
    });

    test.each(samples.map((s) => [s.label, s] as const))('when the %s sample runs against the service, then it gets 201 and the event is stored', async (_label, sample) => {
      const name = `sample-${sample.lang.toLowerCase()}`;
      const { apiKey, signingSecret } = await aPartner(app.partners, { name, signing: true });
      const dir = mkdtempSync(join(tmpdir(), 'sample-'));
      try {
        const file = join(dir, 'sample');
        writeFileSync(file, sample.source);
        const [command, args] = runners[sample.lang]!(file);
        // Asynchronous: the service answering it runs in this very process.
        const run = await promisify(execFile)(command, args, {
          env: { PATH: process.env.PATH ?? '', RECEIVER_URL: app.url, API_KEY: apiKey, SIGNING_SECRET: signingSecret! },
          encoding: 'utf8',
          timeout: 20000,
        });
        expect(run.stderr).toBe('');
        expect(run.stdout).toMatch(/(^|\s|HTTP\/1\.1 )201(\s|$)/);
        expect(await app.events.countDocuments({ partner: name })).toBe(1);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
