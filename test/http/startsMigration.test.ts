import { type Collection, type Db, type Document } from 'mongodb';
import { APPOINTMENT_STARTS_COLLECTION, startId } from '../../src/store/appointmentStarts';
import { moveStartsToClaims } from '../../src/store/startsMigration';
import { VERSION_KEYS_COLLECTION } from '../../src/store/versionKeys';
import { freshDatabases } from '../helpers/freshDatabases';

const { freshDb } = freshDatabases(__filename);

type StartDoc = { _id: string } & Document;
const aStart = (appointment: string, at: string) => ({ _id: JSON.stringify(['live', 'p', appointment]), start: new Date(at), as_of: new Date(at), previous: null });

/**
 * The old starts' database, whose collection's reads yield `yielded` starts and then fail as a
 * cursor killed by a drop does; `meanwhile` runs first (another worker finishing, say).
 */
function failingReads(db: Db, yielded: number, meanwhile: () => Promise<unknown>): Db {
  const wrap = (collection: Collection<Document>) =>
    new Proxy(collection, {
      get: (target, prop) =>
        prop === 'find'
          ? () =>
              (async function* () {
                yield* (await target.find({}).toArray()).slice(0, yielded);
                await meanwhile();
                throw new Error('cursor id 1 not found');
              })()
          : Reflect.get(target, prop, target),
    });
  return new Proxy(db, { get: (target, prop) => (prop === 'collection' ? (name: string) => wrap(target.collection(name)) : Reflect.get(target, prop, target)) });
}

describe('moving FHIR starts beside the version claims', () => {
  test('when another worker drops the old collection while this one reads it, then this one is done, without an error', async () => {
    const [old, claims] = [freshDb(), freshDb()];
    await old.collection<StartDoc>(APPOINTMENT_STARTS_COLLECTION).insertMany([aStart('a1', '2025-01-10T12:00:00Z'), aStart('a2', '2025-01-11T12:00:00Z')]);

    await moveStartsToClaims({ starts: failingReads(old, 1, () => old.collection(APPOINTMENT_STARTS_COLLECTION).drop()), versionKeys: claims });

    expect((await old.listCollections({ name: APPOINTMENT_STARTS_COLLECTION }).toArray()).length).toBe(0);
  });

  test('when reading the old starts fails while their collection is still there, then the migration fails, to run again at the next start', async () => {
    const [old, claims] = [freshDb(), freshDb()];
    await old.collection<StartDoc>(APPOINTMENT_STARTS_COLLECTION).insertMany([aStart('a1', '2025-01-10T12:00:00Z')]);

    await expect(moveStartsToClaims({ starts: failingReads(old, 0, () => Promise.resolve()), versionKeys: claims })).rejects.toThrow('cursor id 1 not found');

    expect(await old.collection(APPOINTMENT_STARTS_COLLECTION).countDocuments()).toBe(1);
  });

  test('when a start in the new place is deleted between its refused insert and the check, then the moved start is written all the same', async () => {
    const [old, claims] = [freshDb(), freshDb()];
    await old.collection<StartDoc>(APPOINTMENT_STARTS_COLLECTION).insertOne(aStart('a1', '2025-01-10T12:00:00Z'));
    const moved = claims.collection<StartDoc>(VERSION_KEYS_COLLECTION);
    await moved.insertOne({ _id: startId('p', 'a1'), at: new Date(), start: new Date('2025-03-01T12:00:00Z'), as_of: new Date('2025-03-01T12:00:00Z'), previous: null });
    // The refused insert's document is gone by the time its newer-or-older check reads it.
    const vanishing = new Proxy(claims, {
      get: (target, prop) =>
        prop === 'collection'
          ? (name: string) =>
              new Proxy(target.collection(name), {
                get: (c, p) =>
                  p === 'find'
                    ? (...args: Parameters<Collection['find']>) => ({
                        toArray: async () => {
                          await c.deleteMany({});
                          return c.find(...args).toArray();
                        },
                      })
                    : Reflect.get(c, p, c),
              })
          : Reflect.get(target, prop, target),
    });

    await moveStartsToClaims({ starts: old, versionKeys: vanishing });

    expect(await moved.findOne({ _id: startId('p', 'a1') })).toMatchObject({ as_of: new Date('2025-01-10T12:00:00Z') });
  });
});
