import type { Handler } from '../http/context';
import type { PublishedDocs } from '../publishedDocs';

export interface DocsDeps {
  published: PublishedDocs;
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

export function getDocs({ published }: DocsDeps): Handler<'getDocs'> {
  return async () => ({
    status: 200,
    contentType: 'text/html',
    body: await published.page(),
    headers: { 'Content-Security-Policy': DOCS_CSP },
  });
}
