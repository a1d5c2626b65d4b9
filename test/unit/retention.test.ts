import type { Db } from 'mongodb';
import { Retention } from '../../src/store/retention';

/**
 * Records what a database with TTL indexes is asked: the local database cannot take them, so
 * this is all a test here can see of MongoDB's side. `conflict` makes createIndex refuse as
 * MongoDB does when the index exists with another expiry.
 */
function recordingDatabase(conflict = false) {
  const calls: unknown[][] = [];
  const db = {
    collection: (name: string) => ({
      createIndex: (...args: unknown[]) => {
        calls.push(['createIndex', name, ...args]);
        return conflict ? Promise.reject(Object.assign(new Error('IndexOptionsConflict'), { code: 85 })) : Promise.resolve('created');
      },
      find: () => {
        throw new Error('a database with TTL indexes is never swept');
      },
    }),
    command: (command: unknown) => {
      calls.push(['command', command]);
      return Promise.resolve({ ok: 1 });
    },
  };
  return { calls, db: db as unknown as Db };
}

describe('retention', () => {
  test('when the database has TTL indexes, then each rule gets one on its date field, in seconds, and sweeping deletes nothing itself', async () => {
    const { calls, db } = recordingDatabase();
    const retention = new Retention(db, [{ collection: 'deliveries', field: 'received_at', keepMs: 30 * 86_400_000 }], true);
    await retention.createIndexes();
    expect(calls).toEqual([['createIndex', 'deliveries', { received_at: 1 }, { name: 'received_at_ttl', expireAfterSeconds: 2_592_000 }]]);
    expect(await retention.sweep(new Date())).toBe(0);
  });

  test('when the retention was changed since the index was made, then the index is changed to it rather than start-up failing', async () => {
    const { calls, db } = recordingDatabase(true);
    await new Retention(db, [{ collection: 'deliveries', field: 'received_at', keepMs: 90 * 86_400_000 }], true).createIndexes();
    expect(calls[1]).toEqual(['command', { collMod: 'deliveries', index: { name: 'received_at_ttl', expireAfterSeconds: 7_776_000 } }]);
  });

  test('when the database has no TTL indexes, then none is asked for', async () => {
    const { calls, db } = recordingDatabase();
    await new Retention(db, [{ collection: 'deliveries', field: 'received_at', keepMs: 1000 }], false).createIndexes();
    expect(calls).toEqual([]);
  });
});
