import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { isAppError } from '../../src/errors';
import { getConsole } from '../../src/handlers/getConsole';
import { consoleFiles, getConsoleAsset } from '../../src/handlers/getConsoleAsset';
import type { RequestContext } from '../../src/http/context';
import { PROJECT_ROOT } from '../../src/paths';
import { launchChromium, openTab } from '../helpers/browserTab';
import { eventually } from '../helpers/eventually';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

// Who may use the operator console, and what is served when it is not built; the console at work
// is in console.test.ts.
const OPERATOR_TOKEN = 'console-test-operator-token-0032';

let app: TestApp;
let browser: Browser;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename), config: { operatorToken: OPERATOR_TOKEN } });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe('the operator console in a real browser', () => {
  test('when the token is wrong, or a partner key is typed in, then the console asks for the operator token again and keeps neither', async () => {
    const { context, page, consoleErrors, offHost, authorizations } = await openTab(browser);
    await page.goto(`${app.url}/console`, { waitUntil: 'networkidle' });
    expect(await page.getByTestId('refresh-seconds').textContent()).toBe('5');

    await page.getByTestId('token-input').fill(app.apiKey);
    await page.getByTestId('token-submit').click();
    await page.getByTestId('token-message').waitFor({ state: 'visible', timeout: 5000 });
    expect(await page.getByTestId('token-message').textContent()).toMatch(/partner key/);
    expect(authorizations).toEqual([]);

    const wrong = 'w'.repeat(32);
    await page.getByTestId('token-input').fill(wrong);
    await page.getByTestId('token-submit').click();
    // (The page's policy forbids eval, so waits read the page rather than run a predicate in it.)
    await eventually(async () => expect(await page.getByTestId('token-message').textContent()).toMatch(/401/), 5000);
    expect(await page.getByTestId('token-form').isVisible()).toBe(true);
    expect(await page.getByTestId('dashboard').isVisible()).toBe(false);
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
    expect(await page.evaluate<number>('localStorage.length')).toBe(0);
    expect(await context.cookies()).toEqual([]);
    expect(authorizations.length).toBeGreaterThan(0);
    expect(authorizations.every((value) => value === `Bearer ${wrong}`)).toBe(true);
    // The browser reports each refused fetch; nothing else may be an error.
    expect(consoleErrors.filter((error) => !/status of 401 .* @ http:\/\/127\.0\.0\.1:\d+\/operator\//.test(error))).toEqual([]);
    expect(offHost).toEqual([]);
    await context.close();
  }, 30000);
});

describe('the console files when they are not built', () => {
  const ctx = (asset?: string) => ({ params: asset === undefined ? {} : { asset } }) as unknown as RequestContext;
  const missing = consoleFiles(join(PROJECT_ROOT, 'no-such-build'));

  test.each(['console.js', 'console.css'])('when %s is missing from dist, then it is a 500 internal error rather than a crash', async (asset) => {
    const failure = await getConsoleAsset(missing)(ctx(asset), undefined).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isAppError(failure) && failure.code).toBe('internal');
  });

  test('when the page is missing from dist, then it is a 500 internal error rather than a crash', async () => {
    const failure = await getConsole(missing)(ctx(), undefined).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isAppError(failure) && failure.code).toBe('internal');
  });
});
