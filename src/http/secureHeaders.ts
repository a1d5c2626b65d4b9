import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/**
 * helmet's security headers, worked out once: with the options used here they depend on nothing
 * in the request, and helmet would otherwise build them anew for every request. helmet only
 * sets and removes headers, so recording what it does to a stand-in reply captures all of it.
 */
export function secureHeaders(): (res: ServerResponse) => void {
  const set = new Map<string, string | number | readonly string[]>();
  const removed = new Set<string>();
  const stand = {
    setHeader: (name: string, value: string | number | readonly string[]) => (removed.delete(name), set.set(name, value)),
    removeHeader: (name: string) => (set.delete(name), removed.add(name)),
  };
  let failed: unknown;
  helmet()({} as IncomingMessage, stand as unknown as ServerResponse, (err?: unknown) => (failed = err));
  if (failed) throw failed instanceof Error ? failed : new Error('helmet refused its own defaults');
  const headers = [...set];
  const gone = [...removed];
  return (res) => {
    for (const name of gone) res.removeHeader(name);
    for (const [name, value] of headers) res.setHeader(name, value);
  };
}
