import { getReadiness } from '../../src/handlers/getReadiness';
import type { RequestContext } from '../../src/http/context';

// Readiness reads nothing of the request.
const call = (handler: ReturnType<typeof getReadiness>) => handler({} as RequestContext, undefined);

describe('getReadiness', () => {
  test('when shutdown has begun, then it answers database_unavailable (503) without pinging', async () => {
    let pinged = false;
    const handler = getReadiness({ pingDatabase: async () => void (pinged = true), isStopping: () => true });
    await expect(call(handler)).rejects.toMatchObject({ code: 'database_unavailable' });
    expect(pinged).toBe(false);
  });

  test('when the ping succeeds, then 200 ok', async () => {
    const handler = getReadiness({ pingDatabase: async () => undefined, isStopping: () => false });
    await expect(call(handler)).resolves.toEqual({ status: 200, contentType: 'application/json', body: { status: 'ok' } });
  });
});
