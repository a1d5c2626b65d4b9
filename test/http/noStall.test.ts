import { worstInputs } from '../fixtures/worstInputs';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';
import { sleep } from '../helpers/time';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename) });
});
afterAll(() => app.stop());

describe('no request can stall the service', () => {
  test('when the most expensive known inputs arrive together, then /healthz keeps answering within 1 s and none of them gets a 5xx', async () => {
    let slowest = 0;
    let probes = 0;
    let sending = true;
    const prober = (async () => {
      while (sending) {
        const started = performance.now();
        const res = await fetch(`${app.url}/healthz`);
        await res.arrayBuffer();
        slowest = Math.max(slowest, performance.now() - started);
        probes += 1;
        await sleep(5);
      }
    })();
    await sleep(50);
    const inputs = worstInputs(app.apiKey);
    // Three of each at once, so a step that is slow for one of them would show three times over.
    const replies = await Promise.all(
      inputs.flatMap((input) =>
        [0, 1, 2].map(async () => {
          const res = await fetch(`${app.url}${input.path ?? '/webhook/appointment'}`, {
            method: input.method ?? 'POST',
            headers: input.headers,
            body: input.body,
          });
          await res.arrayBuffer();
          return { name: input.name, status: res.status };
        }),
      ),
    );
    await sleep(50);
    sending = false;
    await prober;

    expect(replies.filter((r) => r.status >= 500)).toEqual([]);
    expect(probes).toBeGreaterThan(3);
    // A generous bound for a noisy machine; the benchmark reports the real figure (target 100 ms).
    expect(slowest).toBeLessThan(1000);
  });
});
