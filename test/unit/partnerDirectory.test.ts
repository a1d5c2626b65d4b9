import { PartnerDirectory } from '../../src/auth/partnerDirectory';
import { SlowLaneFull } from '../../src/auth/partnerReads';
import { AppError } from '../../src/errors';
import type { PartnerCredentials } from '../../src/store/partnerStore';
import { sleep } from '../helpers/time';

const partner = (name: string, secret = 'whsec_a'): PartnerCredentials => ({
  name,
  keyHash: `hash-${name}`,
  keyExpiresAt: null,
  mode: 'live',
  signingSecrets: [{ secret, expiresAt: null }],
  ratePerSecond: null,
  inputs: {},
});

/** A database of key digests, counting queries; `gate` holds every query until released. */
function fakeDatabase(known: Record<string, PartnerCredentials>) {
  const queries: string[][] = [];
  let gate: Promise<void> = Promise.resolve();
  return {
    queries,
    known,
    hold() {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => release();
    },
    listKeyHashes: async () => Object.keys(known),
    findByKeyHashes: async (hashes: readonly string[]) => {
      queries.push([...hashes]);
      await gate;
      return new Map(hashes.flatMap((h) => (known[h] ? [[h, known[h]] as const] : [])));
    },
  };
}

describe('PartnerDirectory', () => {
  test('when a key was found, then it is served from memory until its lifetime ends, and then read again', async () => {
    let clock = 0;
    const db = fakeDatabase({ k: partner('p') });
    const directory = new PartnerDirectory({ findByKeyHashes: db.findByKeyHashes, listKeyHashes: db.listKeyHashes, ttlMs: 1000, now: () => clock });
    expect(directory.cached('k')).toBeUndefined();
    expect(await directory.lookup('k')).toMatchObject({ name: 'p' });
    clock = 999;
    expect(directory.cached('k')).toMatchObject({ name: 'p' });
    clock = 1000;
    expect(directory.cached('k')).toBeUndefined();
    expect(db.queries).toHaveLength(1);
  });

  test('when a key was not found, then nothing is remembered, so a key created a moment later works at once', async () => {
    const db = fakeDatabase({});
    const directory = new PartnerDirectory({ findByKeyHashes: db.findByKeyHashes, listKeyHashes: db.listKeyHashes, ttlMs: 1000 });
    expect(await directory.lookup('new')).toBeNull();
    db.known.new = partner('new');
    expect(await directory.lookup('new')).toMatchObject({ name: 'new' });
  });

  test('when many keys are asked for while a query is in flight, then they all go into the next single query', async () => {
    const db = fakeDatabase({ valid: partner('valid') });
    const directory = new PartnerDirectory({ findByKeyHashes: db.findByKeyHashes, listKeyHashes: db.listKeyHashes, ttlMs: 1000 });
    const release = db.hold();
    const first = directory.lookup('first');
    const flood = Array.from({ length: 300 }, (_, i) => directory.lookup(`unknown-${i % 150}`));
    const valid = directory.lookup('valid');
    release();
    expect(await first).toBeNull();
    expect((await Promise.all(flood)).every((p) => p === null)).toBe(true);
    expect(await valid).toMatchObject({ name: 'valid' });
    // One query for the first key, one for the 150 distinct unknown ones and the valid one.
    expect(db.queries.map((q) => q.length)).toEqual([1, 151]);
  });

  test('when keys wait in the slow lane, then they are read together in one query per interval, and a valid one among them is found', async () => {
    const db = fakeDatabase({ valid: partner('valid') });
    const directory = new PartnerDirectory({ findByKeyHashes: db.findByKeyHashes, listKeyHashes: db.listKeyHashes, ttlMs: 1000, slowLaneIntervalMs: 30 });
    const slow = Array.from({ length: 100 }, (_, i) => directory.lookup(`guess-${i}`, 'slow'));
    const valid = directory.lookup('valid', 'slow');
    expect(db.queries).toHaveLength(0);
    expect((await Promise.all(slow)).every((p) => p === null)).toBe(true);
    expect(await valid).toMatchObject({ name: 'valid' });
    expect(db.queries.map((q) => q.length)).toEqual([101]);
  });

  test('when more keys wait than one query takes, then they are read in several queries of at most the batch size', async () => {
    const db = fakeDatabase({});
    const directory = new PartnerDirectory({ findByKeyHashes: db.findByKeyHashes, listKeyHashes: db.listKeyHashes, ttlMs: 1000, maxBatch: 10 });
    const release = db.hold();
    const all = Array.from({ length: 25 }, (_, i) => directory.lookup(`k-${i}`));
    release();
    await Promise.all(all);
    expect(db.queries.map((q) => q.length)).toEqual([1, 10, 10, 4]);
  });

  test('when too many keys are already waiting for the database, then a further one is answered 503 at once', async () => {
    const db = fakeDatabase({});
    const directory = new PartnerDirectory({ findByKeyHashes: db.findByKeyHashes, listKeyHashes: db.listKeyHashes, ttlMs: 1000, maxWaiting: 2 });
    const release = db.hold();
    const waiting = [directory.lookup('a'), directory.lookup('b'), directory.lookup('c')];
    await expect(directory.lookup('d')).rejects.toMatchObject({ code: 'database_unavailable' });
    release();
    await Promise.all(waiting);
  });

  test('when the query fails, then every key in it gets the failure and the next lookup asks again', async () => {
    const failing = { calls: 0 };
    const directory = new PartnerDirectory({
      listKeyHashes: async () => [],
      findByKeyHashes: async () => {
        failing.calls += 1;
        if (failing.calls === 1) throw new AppError('database_unavailable');
        return new Map([['k', partner('p')]]);
      },
      ttlMs: 1000,
    });
    await expect(directory.lookup('k')).rejects.toMatchObject({ code: 'database_unavailable' });
    expect(await directory.lookup('k')).toMatchObject({ name: 'p' });
  });

  test('when a signature does not match, then the partner is read again at once, but no more than its re-read budget allows', async () => {
    let clock = 0;
    const db = fakeDatabase({ k: partner('p', 'whsec_old') });
    const directory = new PartnerDirectory({ findByKeyHashes: db.findByKeyHashes, listKeyHashes: db.listKeyHashes, ttlMs: 30_000, rereadsPerSecond: 1, rereadBurst: 2, now: () => clock });
    await directory.lookup('k');
    db.known.k = partner('p', 'whsec_new');
    // A moment after the first read, the rotated secret is seen at once.
    clock = 10;
    expect((await directory.reread('k'))?.signingSecrets[0]?.secret).toBe('whsec_new');
    expect(directory.cached('k')?.signingSecrets[0]?.secret).toBe('whsec_new');
    // Bad signatures keep asking: one more read within the budget, then memory answers.
    for (let i = 0; i < 50; i++) await directory.reread('k');
    expect(db.queries).toHaveLength(3);
    clock = 1010;
    await directory.reread('k');
    expect(db.queries).toHaveLength(4);
  });

  test('when more keys than the limit are found, then the least recently found makes room', async () => {
    const db = fakeDatabase({ a: partner('a'), b: partner('b'), c: partner('c') });
    const directory = new PartnerDirectory({ findByKeyHashes: db.findByKeyHashes, listKeyHashes: db.listKeyHashes, ttlMs: 60_000, maxEntries: 2 });
    for (const k of ['a', 'b', 'c']) await directory.lookup(k);
    expect(directory.cached('a')).toBeUndefined();
    expect(directory.cached('b')).toMatchObject({ name: 'b' });
    expect(directory.cached('c')).toMatchObject({ name: 'c' });
  });

  test('when the key list is read, then every key in the database is known, and a key found later becomes known too', async () => {
    const db = fakeDatabase({ listed: partner('listed') });
    const directory = new PartnerDirectory({ findByKeyHashes: db.findByKeyHashes, listKeyHashes: db.listKeyHashes, ttlMs: 1000 });
    expect(directory.isKnown('listed')).toBe(false);
    await directory.refreshKnown();
    expect(directory.isKnown('listed')).toBe(true);
    expect(directory.isKnown('guess')).toBe(false);
    db.known.issued = partner('issued');
    await directory.lookup('issued');
    expect(directory.isKnown('issued')).toBe(true);
  });

  test('when a key is asked for while a query for it is already running, then it joins that query instead of starting another', async () => {
    const db = fakeDatabase({ k: partner('p') });
    const directory = new PartnerDirectory({ findByKeyHashes: db.findByKeyHashes, listKeyHashes: db.listKeyHashes, ttlMs: 1000 });
    const release = db.hold();
    const first = directory.lookup('k');
    await sleep(5);
    expect(db.queries).toHaveLength(1);
    const joined = Array.from({ length: 30 }, () => directory.lookup('k'));
    release();
    expect(await first).toMatchObject({ name: 'p' });
    expect((await Promise.all(joined)).every((p) => p?.name === 'p')).toBe(true);
    expect(db.queries).toHaveLength(1);
  });

  test('when a waiter runs out of time, then it gets 503 at once and its key leaves the lane, so later queries do not carry it', async () => {
    const db = fakeDatabase({});
    const directory = new PartnerDirectory({ findByKeyHashes: db.findByKeyHashes, listKeyHashes: db.listKeyHashes, ttlMs: 1000, slowLaneIntervalMs: 60 });
    const late = directory.lookup('gave-up', 'slow', 10);
    await expect(late).rejects.toMatchObject({ code: 'database_unavailable' });
    expect(await directory.lookup('still-waiting', 'slow')).toBeNull();
    expect(db.queries).toEqual([['still-waiting']]);
  });

  test('when the slow lane is full, then a further key is refused at once (SlowLaneFull), not queued', async () => {
    const db = fakeDatabase({});
    const directory = new PartnerDirectory({ findByKeyHashes: db.findByKeyHashes, listKeyHashes: db.listKeyHashes, ttlMs: 1000, slowLaneIntervalMs: 20, maxWaiting: 3 });
    const waiting = ['a', 'b', 'c'].map((k) => directory.lookup(k, 'slow'));
    await expect(directory.lookup('d', 'slow')).rejects.toBeInstanceOf(SlowLaneFull);
    await Promise.all(waiting);
  });
});
