import type { Handler } from '../http/context';
import { consoleFiles, type ConsoleFiles } from './getConsoleAsset';

/**
 * The console runs only its own script and style sheet, and talks only to this service: no
 * inline code, no other host, no forms that navigate, no framing.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** GET /console: the operator console's page (dist/console/index.html). */
export function getConsole(files: ConsoleFiles = consoleFiles()): Handler<'getConsole'> {
  return async () => ({
    status: 200,
    contentType: 'text/html',
    body: await files('index.html'),
    headers: { 'Content-Security-Policy': CONSOLE_CSP },
  });
}
