import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkServiceConfig, loadConfig } from '../../src/config';
import { PROJECT_ROOT } from '../../src/paths';
import { docValues, fillIn } from '../../src/http/docValues';

describe('docValues and fillIn', () => {
  test('when the settings are the defaults, then the guide reads them in words', () => {
    const values = docValues(loadConfig({}));
    expect(values).toMatchObject({ BODY_LIMIT: '64 KiB', REQUEST_TIMEOUT: '10 seconds', DB_TIMEOUT: '2.5 seconds', SIGNATURE_TOLERANCE: '5 minutes', ROTATION_GRACE: '24 hours', RATE_LIMIT_WINDOW: 2, PUBLIC_BASE_URL: '/' });
  });

  test('when a number is quoted as a JSON, YAML or HTML value, then it becomes a bare number; in text it is text', () => {
    const values = { N: 42, WORD: 'forty-two' };
    expect(fillIn('{"a":"%%N%%","b":"%%WORD%%"}', values)).toBe('{"a":42,"b":"forty-two"}');
    expect(fillIn("a: '%%N%%'", values)).toBe('a: 42');
    expect(fillIn('&quot;%%N%%&quot;', values)).toBe('42');
    expect(fillIn('up to %%N%% a second, "%%N%% s"', values)).toBe('up to 42 a second, "42 s"');
  });

  test('when the guide and the spec name a setting, then it has a value, and every value is stated somewhere', () => {
    const sources = ['openapi.yaml', 'src/errorCatalogue.ts', ...readdirSync(join(PROJECT_ROOT, 'docs')).map((f) => join('docs', f))];
    const named = new Set(sources.flatMap((file) => [...readFileSync(join(PROJECT_ROOT, file), 'utf8').matchAll(/%%([A-Z_]+)%%/g)].map((m) => m[1])));
    expect([...named].sort()).toEqual(Object.keys(docValues(loadConfig({}))).sort());
  });

  test('when a placeholder has no value, then it is left for the tests to find', () => {
    expect(fillIn('%%UNKNOWN%%', {})).toBe('%%UNKNOWN%%');
  });

  test('when PUBLIC_BASE_URL or SUPPORT_EMAIL is malformed, or SUPPORT_EMAIL is missing with a production database, then start-up names it', () => {
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'hooks.example.com' })).toThrow(/PUBLIC_BASE_URL/);
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'https://hooks.example.com/' })).toThrow(/PUBLIC_BASE_URL/);
    expect(() => loadConfig({ SUPPORT_EMAIL: 'not an address' })).toThrow(/SUPPORT_EMAIL/);
    expect(() => checkServiceConfig(loadConfig({ MONGODB_URI: 'mongodb://db.example:27017' }))).toThrow(/SUPPORT_EMAIL/);
    expect(() => checkServiceConfig(loadConfig({}))).not.toThrow();
    expect(loadConfig({ MONGODB_URI: 'mongodb://db.example:27017', SUPPORT_EMAIL: 'ops@example.com', PUBLIC_BASE_URL: 'https://hooks.example.com' })).toMatchObject({ supportEmail: 'ops@example.com', publicBaseUrl: 'https://hooks.example.com' });
  });
});

describe('PUBLIC_BASE_URL', () => {
  test.each(['https://example.com\\hooks', 'https://exa mple.com', 'https://example.com/a"b', 'https://example.com/a<b', 'https://EXAMPLE.com'])(
    'when it is %p (not exactly as a URL reads back), then start-up names it',
    (value) => {
      expect(() => loadConfig({ PUBLIC_BASE_URL: value })).toThrow(/PUBLIC_BASE_URL/);
    },
  );

  test.each(['https://hooks.example.com', 'http://127.0.0.1:3000', 'https://example.com/receiver'])('when it is %p, then it is kept as written', (value) => {
    expect(loadConfig({ PUBLIC_BASE_URL: value }).publicBaseUrl).toBe(value);
  });
});
