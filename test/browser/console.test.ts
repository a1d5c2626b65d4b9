import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/paths';
import { launchChromium, openTab } from '../helpers/browserTab';
import { anEvent } from '../helpers/builders';
import { shownDeliveries, shownPartners, shownRefusals } from '../helpers/consolePage';
import { expectedPartnerRows, expectedRefusals, idleRow, loggedRecords, newestRequestIds, sendConsoleTraffic } from '../helpers/consoleTraffic';
import { eventually } from '../helpers/eventually';
import { post } from '../helpers/http';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

const OPERATOR_TOKEN = 'console-test-operator-token-0032';
/** The page's refresh interval in this test (`?refresh=`), and how long the delivery log may take to write a record. */
const REFRESH_SECONDS = 2;
const FLUSH_MS = 2000;
const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const REPORTS = join(PROJECT_ROOT, 'reports');

let app: TestApp;
let browser: Browser;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename), config: { operatorToken: OPERATOR_TOKEN } });
  browser = await launchChromium();
  mkdirSync(REPORTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe('the operator console in a real browser', () => {
  test('when an operator opens /console with the token against real traffic from several partners, then the numbers match the delivery log, a new refusal shows within the refresh interval, and lookups and readiness work, without console errors or requests off this host', async () => {
    // Traffic: three partners, a replay, refusals of several types, and a key that names no partner.
    const traffic = await sendConsoleTraffic(app);
    const { alpha, beta, gamma, replies, scheduled, appointmentId } = traffic;

    const { context, page, consoleErrors, offHost, replies: seen, authorizations } = await openTab(browser);
    const response = await page.goto(`${app.url}/console?refresh=${REFRESH_SECONDS}`, { waitUntil: 'networkidle' });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toBe(CONSOLE_CSP);
    expect(response?.headers()['content-type']).toBe('text/html; charset=utf-8');
    expect(await page.getByTestId('refresh-seconds').textContent()).toBe(String(REFRESH_SECONDS));

    // Before the token: readiness (public) shows, the data does not, and nothing asked for it.
    await page.locator('[data-testid="readiness"][data-state="ready"]').waitFor({ timeout: 5000 });
    expect(await page.getByTestId('dashboard').isVisible()).toBe(false);
    expect(authorizations).toEqual([]);

    await page.getByTestId('token-input').fill(OPERATOR_TOKEN);
    await page.getByTestId('token-submit').click();
    await page.getByTestId('dashboard').waitFor({ state: 'visible', timeout: 5000 });
    // The token is kept for this tab's session only: not in localStorage, not in a cookie.
    expect(await page.evaluate<string[]>('Object.values(sessionStorage)')).toContain(OPERATOR_TOKEN);
    expect(await page.evaluate<string>('JSON.stringify(localStorage)')).not.toContain(OPERATOR_TOKEN);
    expect(await context.cookies()).toEqual([]);

    // The partners table: each partner's (and the unnamed clients') counts and success rate, as the delivery log has them.
    const records = await loggedRecords(app);
    await eventually(async () => {
      const expected = expectedPartnerRows(records);
      const shown = await shownPartners(page);
      for (const { key, cells } of shown) {
        const [partner = '', mode = ''] = key.split('|');
        expect({ key, cells }).toEqual({ key, cells: expected.get(key) ?? idleRow(partner, mode || '—') });
      }
      expect(shown.map((row) => row.key)).toEqual(expect.arrayContaining([...expected.keys()]));
      for (const name of [alpha.name, beta.name, gamma.name]) expect(shown.map((row) => row.key)).toContain(`${name}|live`);
      expect(shown.map((row) => row.cells.partner)).toContain('(no key)');
    }, REFRESH_SECONDS * 1000 + 3000);
    // Spot checks against the counts this test knows it caused, so the comparison above cannot agree on nothing.
    const alphaRow = page.locator(`[data-testid="partner-row"][data-partner="${alpha.name}"]`);
    expect(await alphaRow.locator('[data-field="last_hour.accepted"]').textContent()).toBe('3');
    expect(await alphaRow.locator('[data-field="last_hour.replayed"]').textContent()).toBe('1');
    expect(await alphaRow.locator('[data-field="last_day.refused"]').textContent()).toBe('1');
    expect(await alphaRow.locator('[data-field="last_day.success_rate"]').textContent()).toBe('80.0%');

    // The refusal chart: every error type of a refusal, with its count.
    const refusals = expectedRefusals(records);
    expect(Object.keys(refusals)).toEqual(expect.arrayContaining(['value_error.missing', 'type_error.enum', 'value_error.datetime', 'type_error.str']));
    await eventually(async () => {
      const bars = await shownRefusals(page);
      expect(Object.fromEntries(bars.map((bar) => [bar.type, bar.day]))).toEqual(refusals);
      for (const bar of bars) expect(bar).toEqual({ type: bar.type, label: bar.type, hour: refusals[bar.type], day: refusals[bar.type], text: `${refusals[bar.type]} h · ${refusals[bar.type]} d` });
    }, REFRESH_SECONDS * 1000 + 3000);

    // The latest deliveries: the newest 50 of the log, newest first.
    await eventually(async () => {
      const rows = await shownDeliveries(page);
      expect(rows.map((row) => row.request_id)).toEqual(await newestRequestIds(app, 50));
    }, REFRESH_SECONDS * 1000 + 3000);
    expect(await newestRequestIds(app, 50)).toEqual(expect.arrayContaining(replies.map((reply) => reply.headers.get('x-request-id'))));
    // A test event's number is shown as such, never as a link to the live event of that number.
    const testRow = page.locator(`[data-testid="delivery-row"][data-request-id="${traffic.testDelivery.headers.get('x-request-id')}"]`);
    await expect(testRow.locator('[data-field="event_id"]').textContent()).resolves.toBe(`${traffic.testDelivery.body.event_id} (test)`);
    expect(await testRow.locator('[data-testid="delivery-event-link"]').count()).toBe(0);
    await page.screenshot({ path: join(REPORTS, 'console-overview.png'), fullPage: true });

    // Filters: one partner's refusals.
    await page.getByTestId('filter-partner').selectOption(beta.name);
    await page.getByTestId('filter-status').selectOption('4xx');
    await eventually(async () => {
      const rows = await shownDeliveries(page);
      expect(rows.map((row) => row.request_id)).toEqual(await newestRequestIds(app, 50, (r) => r.partner === beta.name && r.status >= 400 && r.status < 500));
      expect(rows).toHaveLength(2);
    }, REFRESH_SECONDS * 1000 + 3000);
    // ... and every partner's refusals of one error type.
    await page.getByTestId('filter-partner').selectOption('');
    await page.getByTestId('filter-status').selectOption('');
    await page.getByTestId('filter-type').fill('value_error.missing');
    await page.getByTestId('filter-apply').click();
    await eventually(async () => {
      const rows = await shownDeliveries(page);
      expect(rows.map((row) => row.request_id)).toEqual(await newestRequestIds(app, 50, (r) => r.errors.some((e) => e.type === 'value_error.missing')));
      expect(new Set(rows.map((row) => row.partner))).toEqual(new Set([alpha.name, gamma.name]));
    }, REFRESH_SECONDS * 1000 + 3000);
    await page.getByTestId('filter-clear').click();
    await eventually(async () => expect(await page.locator('[data-testid="delivery-row"]').count()).toBe(records.length), REFRESH_SECONDS * 1000 + 3000);

    // Auto-refresh: "last updated" moves on by itself.
    const updated = await page.getByTestId('last-updated').getAttribute('data-updated-at');
    await eventually(async () => expect(await page.getByTestId('last-updated').getAttribute('data-updated-at')).not.toBe(updated), REFRESH_SECONDS * 1000 + 3000);

    // A new refusal appears within the refresh interval plus the log's flush delay, in the table and the chart.
    const before = refusals['type_error.enum'] ?? 0;
    const refused = await post(app.endpoint, anEvent({ event_type: 'appointment.moved' }), gamma.auth);
    const refusedAt = Date.now();
    expect(refused.status).toBe(422);
    const requestId = refused.headers.get('x-request-id');
    await page.locator(`[data-testid="delivery-row"][data-request-id="${requestId}"]`).waitFor({ state: 'visible', timeout: REFRESH_SECONDS * 1000 + FLUSH_MS + 2000 });
    expect(Date.now() - refusedAt).toBeLessThanOrEqual(REFRESH_SECONDS * 1000 + FLUSH_MS + 2000);
    const newRow = page.locator(`[data-testid="delivery-row"][data-request-id="${requestId}"]`);
    expect(await newRow.locator('[data-field="status"]').textContent()).toBe('422');
    expect(await newRow.locator('[data-field="partner"]').textContent()).toBe(gamma.name);
    expect(await newRow.locator('[data-field="errors"]').textContent()).toContain('type_error.enum at body.event_type');
    expect(await page.locator('[data-testid="delivery-row"]').first().getAttribute('data-request-id')).toBe(requestId);
    await page.locator(`[data-testid="refusal-bar"][data-type="type_error.enum"][data-last-hour="${before + 1}"]`).waitFor({ timeout: REFRESH_SECONDS * 1000 + 3000 });
    await page.getByTestId('deliveries-section').screenshot({ path: join(REPORTS, 'console-deliveries.png') });

    // Lookups: one event by its event_id, and one appointment's state.
    const eventId = scheduled.body.event_id as number;
    await page.getByTestId('event-id-input').fill(String(eventId));
    await page.getByTestId('event-lookup-submit').click();
    await page.getByTestId('event-result').waitFor({ state: 'visible', timeout: 5000 });
    const shownEvent = JSON.parse((await page.getByTestId('event-result').textContent()) ?? '');
    const stored = await app.events.findOne({ event_id: eventId });
    expect(shownEvent).toMatchObject({ event_id: eventId, partner: alpha.name, appointment_id: appointmentId, event_type: 'appointment.scheduled', patient_id: 'P-1', timestamp: '2025-03-01T09:00:00Z' });
    expect(shownEvent.received_at).toBe(stored?.received_at.toISOString());

    await page.getByTestId('appointment-partner-input').fill(alpha.name);
    await page.getByTestId('appointment-id-input').fill(appointmentId);
    await page.getByTestId('appointment-lookup-submit').click();
    await page.getByTestId('appointment-result').waitFor({ state: 'visible', timeout: 5000 });
    expect(await page.getByTestId('appointment-status').textContent()).toBe('scheduled');
    expect(await page.getByTestId('appointment-reschedules').textContent()).toBe('1');
    expect(await page.getByTestId('appointment-event-count').textContent()).toBe('2');
    expect(await page.getByTestId('appointment-patient').textContent()).toBe('P-1');
    expect(await page.locator('[data-testid="appointment-history"] tbody tr').count()).toBe(2);

    // A lookup that finds nothing says so plainly.
    await page.getByTestId('event-id-input').fill('999999999');
    await page.getByTestId('event-lookup-submit').click();
    await page.getByTestId('event-error').waitFor({ state: 'visible', timeout: 5000 });
    expect(await page.getByTestId('event-error').textContent()).toMatch(/^404 Not found: path\.event_id .*\(not_found\.event\)$/);
    await page.getByTestId('event-id-input').fill(String(eventId));
    await page.getByTestId('event-lookup-submit').click();
    await page.getByTestId('event-result').waitFor({ state: 'visible', timeout: 5000 });
    await page.getByTestId('lookup-section').screenshot({ path: join(REPORTS, 'console-lookup.png') });

    // Readiness, the page's own files, and where the browser went.
    expect(await page.getByTestId('readiness').getAttribute('data-state')).toBe('ready');
    expect(await page.getByTestId('readiness').textContent()).toBe('ready');
    const asset = (name: string) => seen.find((reply) => new URL(reply.url).pathname === `/console/${name}`);
    expect(asset('console.js')).toMatchObject({ status: 200, headers: expect.objectContaining({ 'content-type': 'text/javascript; charset=utf-8' }) });
    expect(asset('console.css')).toMatchObject({ status: 200, headers: expect.objectContaining({ 'content-type': 'text/css; charset=utf-8' }) });
    const apiCalls = seen.filter((reply) => new URL(reply.url).pathname.startsWith('/operator/'));
    expect(apiCalls.length).toBeGreaterThan(0);
    expect(apiCalls.filter((reply) => reply.status !== 200 && reply.status !== 404)).toEqual([]);
    expect(new Set(authorizations)).toEqual(new Set([`Bearer ${OPERATOR_TOKEN}`]));
    // The one error the browser may report is the lookup of an event that does not exist.
    expect(consoleErrors.filter((error) => !/status of 404 .* @ http:\/\/127\.0\.0\.1:\d+\/operator\/events\/999999999$/.test(error))).toEqual([]);
    expect(offHost).toEqual([]);

    // Forgetting the token drops it and what it showed.
    await page.getByTestId('forget-token').click();
    await page.getByTestId('token-form').waitFor({ state: 'visible', timeout: 5000 });
    expect(await page.getByTestId('dashboard').isVisible()).toBe(false);
    expect(await page.evaluate<string[]>('Object.values(sessionStorage)')).not.toContain(OPERATOR_TOKEN);
    expect(await page.locator('[data-testid="partner-row"]').count()).toBe(0);
    await context.close();
  }, 60000);
});
