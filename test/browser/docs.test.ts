import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/paths';
import { eventTypes, spec } from '../helpers/spec';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

// Debian's Chromium, installed by scripts/install-chromium.sh; the flags keep it off the network.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const EVENT_TYPES = eventTypes();
const ERROR_STATUSES = ['400', '401', '404', '405', '408', '409', '413', '415', '422', '429', '431', '500', '503'];

let app: TestApp;
let browser: Browser;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename) });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

function isLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:' || protocol === 'about:') return true;
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
}

describe('the published documentation in a real browser', () => {
  test('when /docs is opened, then the guide renders with the operation, event types, authentication and errors, without console errors or requests off this host', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    const offHost: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await context.route('**/*', async (route) => {
      const url = route.request().url();
      if (isLoopback(url)) return route.continue();
      offHost.push(url);
      return route.abort();
    });

    const response = await page.goto(`${app.url}/docs`, { waitUntil: 'networkidle' });
    expect(response?.status()).toBe(200);
    // Redoc renders as it goes: wait (bounded) for each thing to appear rather than sample once.
    const shows = (locator: ReturnType<typeof page.getByText>) =>
      locator.first().waitFor({ state: 'visible', timeout: 10000 }).then(
        () => true,
        () => false,
      );
    const visible = (text: string) => shows(page.getByText(text, { exact: true }));

    // The landing page and its sidebar: every guide section is there to click.
    await page.getByRole('heading', { name: `${spec.info.title} (${spec.info.version})` }).waitFor();
    const sidebarLink = (name: string) => page.getByRole('link', { name, exact: true }).first();
    for (const section of ['Authentication', 'Payload rules', 'Responses and errors', 'Retries and idempotency', 'Rate limits', 'Health', 'Support', 'Changelog']) {
      expect(await shows(sidebarLink(section))).toBe(true);
    }
    mkdirSync(join(PROJECT_ROOT, 'reports'), { recursive: true });
    await page.screenshot({ path: join(PROJECT_ROOT, 'reports', 'docs.png') });

    // Authentication, as a partner would open it from the sidebar.
    await sidebarLink('Authentication').click();
    await page.getByRole('heading', { name: 'Signing requests' }).waitFor();
    expect(await shows(page.getByRole('heading', { name: 'Authentication' }))).toBe(true);

    // The operation: its summary, the five event types and every status it can answer.
    await sidebarLink('Appointment events').click();
    await page.getByRole('link', { name: /Deliver one appointment event/ }).first().click();
    await page.getByText('Deliver one appointment event').first().waitFor({ state: 'visible' });
    for (const type of EVENT_TYPES) expect(await visible(`"${type}"`)).toBe(true);
    await page.getByText('Responses', { exact: true }).first().waitFor({ state: 'visible' });
    const responses = await page.locator('main').innerText();
    const listed = responses.slice(responses.indexOf('Responses'));
    for (const status of ['201', ...ERROR_STATUSES]) expect(listed).toMatch(new RegExp(`^${status}$`, 'm'));
    await page.screenshot({ path: join(PROJECT_ROOT, 'reports', 'docs-operation.png') });

    expect(consoleErrors).toEqual([]);
    expect(offHost).toEqual([]);
    await context.close();
  }, 60000);
});
