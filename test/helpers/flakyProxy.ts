import { createServer } from 'node:http';

export interface FlakyProxy {
  url: string;
  /** Requests received so far. */
  seen: () => number;
  close: () => Promise<void>;
}

/**
 * An HTTP server in front of `target` for GET requests: the requests `refuse` picks (numbered
 * from 1) get `status` with Retry-After and an error envelope; the others go on to the target
 * with their Authorization header, and its answer comes back.
 */
export async function aFlakyProxy(target: string, refuse: (n: number) => boolean, status = 503, retryAfter = '1'): Promise<FlakyProxy> {
  let seen = 0;
  const server = createServer((req, res) => {
    seen += 1;
    if (refuse(seen)) {
      res.writeHead(status, { 'Content-Type': 'application/json', 'Retry-After': retryAfter });
      res.end(JSON.stringify({ status: 'error', message: 'Service temporarily unavailable', errors: [] }));
      return;
    }
    void fetch(`${target}${req.url}`, { headers: { Authorization: req.headers.authorization ?? '' } }).then(
      async (answer) => {
        res.writeHead(answer.status, { 'Content-Type': answer.headers.get('content-type') ?? 'application/json' });
        res.end(await answer.text());
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    seen: () => seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
