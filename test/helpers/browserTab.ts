import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

// Debian's Chromium, installed by scripts/install-chromium.sh; the flags keep it off the network.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A headless Chromium kept off the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

function isLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:' || protocol === 'about:') return true;
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
}

export interface RecordingTab {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors, each console error with the URL it came from. */
  consoleErrors: string[];
  /** Requests that were not to this host (loopback): each was aborted. */
  offHost: string[];
  replies: { url: string; status: number; headers: Record<string, string> }[];
  /** Every Authorization header the page sent. */
  authorizations: string[];
}

/** A browser tab that records console errors, requests off loopback (aborted), and the replies it got. */
export async function openTab(browser: Browser): Promise<RecordingTab> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  const offHost: string[] = [];
  const replies: { url: string; status: number; headers: Record<string, string> }[] = [];
  const authorizations: string[] = [];
  page.on('console', (message) => {
    // With where it came from: the browser reports each fetch answered with an error status.
    if (message.type() === 'error') consoleErrors.push(`${message.text()} @ ${message.location().url}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  page.on('response', (response) => replies.push({ url: response.url(), status: response.status(), headers: response.headers() }));
  page.on('request', (request) => {
    const authorization = request.headers().authorization;
    if (authorization !== undefined) authorizations.push(authorization);
  });
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (isLoopback(url)) return route.continue();
    offHost.push(url);
    return route.abort();
  });
  return { context, page, consoleErrors, offHost, replies, authorizations };
}
