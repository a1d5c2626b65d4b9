import { operationHandlers } from '../../src/handlers';
import { operationIds } from '../helpers/spec';
import { unusedDeps } from '../helpers/specApi';

describe('operation handlers', () => {
  test('when the spec is read, then every operationId has exactly one handler and no handler is orphaned', () => {
    const handlers = operationHandlers(unusedDeps());
    const ids = operationIds();
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(handlers).sort()).toEqual([...ids].sort());
    for (const handler of Object.values(handlers)) expect(typeof handler).toBe('function');
  });
});
