import type { Db } from 'mongodb';
import { CONSUMERS_COLLECTION, ConsumerExistsError, ConsumerNotFoundError } from '../../src/store/consumerStore';
import type { Stores } from '../../src/store/stores';
import { storesOnly } from '../helpers/storesOnly';

// The consumer store against the real database; the clock is passed in, so grace ends without waiting.
const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1) + seconds * 1000);

const opened = storesOnly(__filename);
let stores: Stores;
let db: Db;
beforeAll(() => {
  stores = opened.stores();
  db = opened.db();
});

describe('consumer store', () => {
  test('when a consumer is added, then its digest finds it with its partners, and an unknown digest finds nothing', async () => {
    await stores.consumers.add('reader-one', 'digest-one', ['acme', 'globex'], at(0));
    await stores.consumers.add('reader-all', 'digest-all', null, at(0));
    expect(await stores.consumers.findByTokenDigest('digest-one', at(1))).toEqual({ name: 'reader-one', partners: ['acme', 'globex'], validUntil: null });
    expect(await stores.consumers.findByTokenDigest('digest-all', at(1))).toEqual({ name: 'reader-all', partners: null, validUntil: null });
    expect(await stores.consumers.findByTokenDigest('digest-nobody', at(1))).toBeNull();
    const found = await stores.consumers.findByTokenDigests(['digest-one', 'digest-all', 'digest-nobody'], at(1));
    expect([...found.keys()].sort()).toEqual(['digest-all', 'digest-one']);
  });

  test('when a name is taken, then adding it again fails with ConsumerExistsError and the first token still works', async () => {
    await stores.consumers.add('taken', 'digest-taken', null, at(0));
    await expect(stores.consumers.add('taken', 'digest-other', null, at(1))).rejects.toBeInstanceOf(ConsumerExistsError);
    expect(await stores.consumers.findByTokenDigest('digest-taken', at(2))).toMatchObject({ name: 'taken' });
    expect(await stores.consumers.findByTokenDigest('digest-other', at(2))).toBeNull();
  });

  test('when a token is rotated, then the old one works until the grace ends (and says so), the new one from then on', async () => {
    await stores.consumers.add('rotating', 'digest-old', null, at(0));
    await stores.consumers.rotate('rotating', 'digest-new', at(100));
    expect(await stores.consumers.findByTokenDigest('digest-old', at(99))).toEqual({ name: 'rotating', partners: null, validUntil: at(100) });
    expect(await stores.consumers.findByTokenDigest('digest-old', at(100))).toBeNull();
    expect(await stores.consumers.findByTokenDigest('digest-new', at(100))).toMatchObject({ name: 'rotating', validUntil: null });
    expect(await stores.consumers.listTokenDigests(at(99))).toEqual(expect.arrayContaining(['digest-old', 'digest-new']));
    expect(await stores.consumers.listTokenDigests(at(100))).not.toContain('digest-old');
  });

  test('when a token is rotated twice, then the first one stops at once and the second one gets the grace', async () => {
    await stores.consumers.add('twice', 'digest-first', null, at(0));
    await stores.consumers.rotate('twice', 'digest-second', at(100));
    await stores.consumers.rotate('twice', 'digest-third', at(200));
    expect(await stores.consumers.findByTokenDigest('digest-first', at(1))).toBeNull();
    expect(await stores.consumers.findByTokenDigest('digest-second', at(199))).toMatchObject({ validUntil: at(200) });
    expect(await stores.consumers.findByTokenDigest('digest-third', at(1))).toMatchObject({ name: 'twice' });
  });

  test('when a consumer is revoked, then neither its token nor its previous one finds it, and it cannot be rotated or revoked again', async () => {
    await stores.consumers.add('leaving', 'digest-leaving', null, at(0));
    await stores.consumers.rotate('leaving', 'digest-leaving-2', at(1000));
    await stores.consumers.revoke('leaving', at(10));
    expect(await stores.consumers.findByTokenDigest('digest-leaving', at(11))).toBeNull();
    expect(await stores.consumers.findByTokenDigest('digest-leaving-2', at(11))).toBeNull();
    expect(await stores.consumers.listTokenDigests(at(11))).not.toEqual(expect.arrayContaining(['digest-leaving-2']));
    await expect(stores.consumers.rotate('leaving', 'digest-leaving-3', at(2000))).rejects.toBeInstanceOf(ConsumerNotFoundError);
    await expect(stores.consumers.revoke('leaving', at(12))).rejects.toBeInstanceOf(ConsumerNotFoundError);
    await expect(stores.consumers.revoke('never-was', at(12))).rejects.toBeInstanceOf(ConsumerNotFoundError);
  });

  test('when consumers are listed, then they come by name with their state, and no digest is in the result', async () => {
    await stores.consumers.add('listed', 'digest-listed', ['acme'], at(0));
    await stores.consumers.rotate('listed', 'digest-listed-2', at(500));
    const listed = await stores.consumers.list(at(1));
    expect(listed.map((c) => c.name)).toEqual([...listed.map((c) => c.name)].sort());
    expect(listed.find((c) => c.name === 'listed')).toEqual({ name: 'listed', partners: ['acme'], createdAt: at(0), revokedAt: null, previousValidUntil: at(500) });
    expect(listed.find((c) => c.name === 'leaving')).toMatchObject({ revokedAt: at(10), previousValidUntil: null });
    expect(JSON.stringify(listed)).not.toMatch(/digest-/);
  });

  test('when the store is opened, then names and token digests are unique in the database itself', async () => {
    const indexes = await db.collection(CONSUMERS_COLLECTION).indexes();
    expect(indexes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: { name: 1 }, unique: true }),
        expect.objectContaining({ key: { token_digest: 1 }, unique: true }),
      ]),
    );
    await expect(stores.consumers.add('another-name', 'digest-one', null, at(0))).rejects.toMatchObject({ code: 11000 });
  });
});
