import type { Collection, Document } from 'mongodb';
import { Retention } from '../../src/store/retention';

/** Records the index requests a collection gets; the local database cannot take TTL indexes, so this is all a test here can see of them. */
function recordingCollection() {
  const calls: unknown[][] = [];
  const collection = {
    createIndex: (...args: unknown[]) => {
      calls.push(args);
      return Promise.resolve('created');
    },
    find: () => {
      throw new Error('a database with TTL indexes is never swept');
    },
  };
  return { calls, collection: collection as unknown as Collection<Document> };
}

describe('retention', () => {
  test('when the database has TTL indexes, then each rule gets one on its date field, in seconds, and sweeping deletes nothing itself', async () => {
    const records = recordingCollection();
    const retention = new Retention([{ collection: records.collection, field: 'received_at', keepMs: 30 * 86_400_000 }], true);
    await retention.createIndexes();
    expect(records.calls).toEqual([[{ received_at: 1 }, { name: 'received_at_ttl', expireAfterSeconds: 2_592_000 }]]);
    expect(await retention.sweep(new Date())).toBe(0);
  });

  test('when the database has no TTL indexes, then none is asked for', async () => {
    const records = recordingCollection();
    await new Retention([{ collection: records.collection, field: 'received_at', keepMs: 1000 }], false).createIndexes();
    expect(records.calls).toEqual([]);
  });
});
