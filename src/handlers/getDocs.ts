import type { OperationHandler } from '../http/exchange';
import type { PublishedFile } from '../publishedDocs';

export interface DocsDeps {
  published: (name: PublishedFile) => Promise<Buffer>;
}

// The page is one self-contained file: its scripts and styles are inline, and it may reach only
// this host. It gets its own policy in place of the API's stricter default.
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function getDocs({ published }: DocsDeps): OperationHandler {
  return async () => ({
    status: 200,
    contentType: 'text/html; charset=utf-8',
    body: await published('index.html'),
    headers: { 'Content-Security-Policy': DOCS_CSP },
  });
}
