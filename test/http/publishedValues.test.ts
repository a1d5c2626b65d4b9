import { parse } from 'yaml';
import { send } from '../helpers/http';
import { spec } from '../helpers/spec';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

// Settings unlike every default, so a value that comes from anywhere but the configuration shows.
const CONFIG = {
  bodyLimitBytes: 3072,
  rateLimitPerSecond: 20,
  rateLimitBurst: 60,
  signatureToleranceSeconds: 120,
  requestTimeoutMs: 7000,
  publicBaseUrl: 'https://hooks.example.test',
  supportEmail: 'help@example.test',
};

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename), config: CONFIG });
});
afterAll(() => app.stop());

const get = (path: string) => send(`${app.url}${path}`, { method: 'GET' });

describe('published documentation states this instance\'s settings', () => {
  test('when the spec is fetched, then its server, contact and limits are the configured ones and no placeholder is left', async () => {
    const json = await get('/openapi.json');
    expect(json.text).not.toMatch(/%%[A-Z_]+%%/);
    expect(json.body.servers[0].url).toBe(CONFIG.publicBaseUrl);
    expect(json.body.info.contact.email).toBe(CONFIG.supportEmail);
    const responses = json.body.components.responses;
    expect(responses.PayloadTooLarge.description).toContain('3 KiB (3072 bytes)');
    expect(responses.PayloadTooLarge.content['application/json'].example.errors[0].ctx.limit_value).toBe(3072);
    expect(responses.TooManyRequests.content['application/json'].example.errors[0].ctx).toMatchObject({ limit_per_second: 20, burst: 60 });
    expect(responses.RequestTimeout.description).toContain('7 seconds');
    const guide = json.body.tags.map((t: { description?: string }) => t.description ?? '').join('\n');
    expect(guide).toContain('**20 requests per second, with bursts of up to 60**');
    expect(guide).toContain('q=60;w=3');
    expect(guide).toContain('more than 2 minutes from its clock');
    expect(guide).toContain('**help@example.test**');
  });

  test('when the YAML spec and the page are fetched, then they say the same and hold no placeholder', async () => {
    const yaml = await get('/openapi.yaml');
    expect(yaml.text).not.toMatch(/%%[A-Z_]+%%/);
    expect(parse(yaml.text)).toEqual((await get('/openapi.json')).body);
    const page = await get('/docs');
    expect(page.text).not.toMatch(/%%[A-Z_]+%%/);
    expect(page.text).toContain('mailto:help@example.test');
    expect(page.text).toContain('"url":"https://hooks.example.test"');
  });

  test('when the spec is published, then operator-only routes are left out, and every other path is in', async () => {
    const published = (await get('/openapi.json')).body;
    const internal = Object.entries<any>(spec.paths).filter(([, item]) => item['x-internal']).map(([path]) => path);
    expect(internal).toContain('/metrics');
    expect(Object.keys(published.paths).sort()).toEqual(Object.keys(spec.paths).filter((p) => !internal.includes(p)).sort());
    expect(JSON.stringify(published)).not.toContain('metricsToken');
  });
});
