import { operationHandlers } from '../../src/handlers';
import { Metrics } from '../../src/metrics';
import { operationIds } from '../helpers/spec';

describe('operation handlers', () => {
  test('when the spec is read, then every operationId has exactly one handler and no handler is orphaned', () => {
    const handlers = operationHandlers({
      store: { saveEvent: () => Promise.reject(new Error('unused')) },
      now: () => new Date(),
      pingDatabase: () => Promise.resolve(),
      published: () => Promise.reject(new Error('unused')),
      metrics: new Metrics(),
      isStopping: () => false,
    });
    const ids = operationIds();
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(handlers).sort()).toEqual([...ids].sort());
    for (const handler of Object.values(handlers)) expect(typeof handler).toBe('function');
  });
});
