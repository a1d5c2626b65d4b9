import { ConsumerDirectory } from '../../src/auth/consumerDirectory';
import { generateApiKey, generateConsumerToken, hashConsumerToken } from '../../src/auth/credentials';
import { AppError } from '../../src/errors';
import type { ConsumerGrant } from '../../src/store/consumerStore';
import { sleep } from '../helpers/time';

/** A consumer store of grants by token digest, counting queries; `hold` keeps every query waiting until released. */
function fakeStore() {
  const grants = new Map<string, ConsumerGrant>();
  const queries: string[][] = [];
  let listings = 0;
  let failNext = false;
  let failNextListing = false;
  let gate: Promise<void> = Promise.resolve();
  return {
    queries,
    get listings() {
      return listings;
    },
    issue(name: string, partners: string[] | null = null, validUntil: Date | null = null, token = generateConsumerToken()): string {
      grants.set(hashConsumerToken(token), { name, partners, validUntil });
      return token;
    },
    revoke(token: string) {
      grants.delete(hashConsumerToken(token));
    },
    failOnce() {
      failNext = true;
    },
    failNextListing() {
      failNextListing = true;
    },
    hold() {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => release();
    },
    findByTokenDigests: async (digests: readonly string[]) => {
      queries.push([...digests]);
      await gate;
      if (failNext) {
        failNext = false;
        throw new AppError('database_unavailable');
      }
      return new Map(digests.flatMap((d) => (grants.has(d) ? [[d, grants.get(d)!] as const] : [])));
    },
    listTokenDigests: async () => {
      listings += 1;
      if (failNextListing) {
        failNextListing = false;
        throw new AppError('database_unavailable');
      }
      return [...grants.keys()];
    },
  };
}

describe('ConsumerDirectory', () => {
  test('when a token is not an apptrd_ token of the right length, then it is refused without a database read', async () => {
    const store = fakeStore();
    const directory = new ConsumerDirectory({ store, ttlMs: 1000 });
    const valid = store.issue('reader');
    for (const token of ['', generateApiKey(), valid.slice(0, -1), `${valid}x`, ` ${valid}`, valid.replace('apptrd_', 'apptwh_')]) {
      expect(await directory.authenticateConsumer(token)).toBeNull();
    }
    expect(store.queries).toEqual([]);
  });

  test('when a token is valid, then its consumer and partners come back, and are served from memory until the cache lifetime ends', async () => {
    let clock = 0;
    const store = fakeStore();
    const directory = new ConsumerDirectory({ store, ttlMs: 1000, now: () => clock });
    const scoped = store.issue('scoped', ['acme', 'globex']);
    const everyone = store.issue('everyone');
    expect(await directory.authenticateConsumer(scoped)).toEqual({ name: 'scoped', partners: ['acme', 'globex'] });
    expect(await directory.authenticateConsumer(everyone)).toEqual({ name: 'everyone', partners: null });
    clock = 999;
    await directory.authenticateConsumer(scoped);
    expect(store.queries).toHaveLength(2);
    clock = 1000;
    await directory.authenticateConsumer(scoped);
    expect(store.queries).toHaveLength(3);
  });

  test('when a consumer is revoked, then its token stops working once the cache lifetime has passed, not before', async () => {
    let clock = 0;
    const store = fakeStore();
    const directory = new ConsumerDirectory({ store, ttlMs: 30_000, now: () => clock });
    const token = store.issue('leaving');
    expect(await directory.authenticateConsumer(token)).not.toBeNull();
    store.revoke(token);
    clock = 29_999;
    expect(await directory.authenticateConsumer(token)).not.toBeNull();
    clock = 30_000;
    expect(await directory.authenticateConsumer(token)).toBeNull();
  });

  test('when a token is unknown, then it is refused and not remembered, so a token issued a moment later works at once', async () => {
    const store = fakeStore();
    const directory = new ConsumerDirectory({ store, ttlMs: 60_000 });
    const token = generateConsumerToken();
    expect(await directory.authenticateConsumer(token)).toBeNull();
    store.issue('late', null, null, token);
    expect(await directory.authenticateConsumer(token)).toEqual({ name: 'late', partners: null });
  });

  test('when a rotated-out token is remembered, then it is refused from the end of its grace on, without asking the database', async () => {
    let wall = new Date('2026-01-01T00:00:00Z');
    const store = fakeStore();
    const directory = new ConsumerDirectory({ store, ttlMs: 60_000, now: () => 0, clock: () => wall });
    const old = store.issue('rotating', null, new Date('2026-01-01T00:00:10Z'));
    expect(await directory.authenticateConsumer(old)).toEqual({ name: 'rotating', partners: null });
    wall = new Date('2026-01-01T00:00:09.999Z');
    expect(await directory.authenticateConsumer(old)).not.toBeNull();
    wall = new Date('2026-01-01T00:00:10Z');
    expect(await directory.authenticateConsumer(old)).toBeNull();
    expect(store.queries).toHaveLength(1);
  });

  test('when a caller changes the partners it was given, then the remembered consumer is unchanged', async () => {
    const store = fakeStore();
    const directory = new ConsumerDirectory({ store, ttlMs: 60_000 });
    const token = store.issue('scoped', ['acme']);
    (await directory.authenticateConsumer(token))!.partners!.push('globex');
    expect(await directory.authenticateConsumer(token)).toEqual({ name: 'scoped', partners: ['acme'] });
  });

  test('when many requests bring the same token at once, then the database is asked once', async () => {
    const store = fakeStore();
    const directory = new ConsumerDirectory({ store, ttlMs: 60_000 });
    const token = store.issue('busy');
    const release = store.hold();
    const all = Array.from({ length: 50 }, () => directory.authenticateConsumer(token));
    release();
    expect((await Promise.all(all)).every((c) => c?.name === 'busy')).toBe(true);
    expect(store.queries).toHaveLength(1);
  });

  test('when the database fails, then the lookup rejects with the 503 error (not a refusal), and the next one asks again', async () => {
    const store = fakeStore();
    const directory = new ConsumerDirectory({ store, ttlMs: 60_000 });
    const token = store.issue('reader');
    store.failOnce();
    await expect(directory.authenticateConsumer(token)).rejects.toMatchObject({ code: 'database_unavailable' });
    expect(await directory.authenticateConsumer(token)).toMatchObject({ name: 'reader' });
  });

  test('when the database does not answer within timeoutMs, then the lookup rejects with the 503 error', async () => {
    const store = fakeStore();
    const directory = new ConsumerDirectory({ store, ttlMs: 60_000 });
    const release = store.hold();
    await expect(directory.authenticateConsumer(store.issue('slow'), { timeoutMs: 20 })).rejects.toMatchObject({ code: 'database_unavailable' });
    release();
  });

  test('when the token list is read, then listed tokens are known and take the fast lane even when unknown ones are sent to the slow lane', async () => {
    const store = fakeStore();
    const directory = new ConsumerDirectory({ store, ttlMs: 60_000 });
    const listed = store.issue('listed');
    expect(directory.isKnown(listed)).toBe(false);
    await directory.refreshKnown();
    expect(directory.isKnown(listed)).toBe(true);
    expect(directory.isKnown(generateConsumerToken())).toBe(false);
    expect(directory.isKnown('not-a-token')).toBe(false);
    const started = performance.now();
    expect(await directory.authenticateConsumer(listed, { unknownLane: 'slow' })).toMatchObject({ name: 'listed' });
    // The slow lane would have waited its 250 ms interval.
    expect(performance.now() - started).toBeLessThan(200);
    const guess = directory.authenticateConsumer(generateConsumerToken(), { unknownLane: 'slow' });
    expect(store.queries).toHaveLength(1);
    expect(await guess).toBeNull();
    expect(store.queries).toHaveLength(2);
  });

  test('when the list is kept fresh, then it is read at once and on every interval until stopped, and a failed read is reported', async () => {
    const store = fakeStore();
    const directory = new ConsumerDirectory({ store, ttlMs: 60_000 });
    const errors: unknown[] = [];
    const stop = await directory.keepKnownFresh((err) => errors.push(err), 20);
    expect(store.listings).toBe(1);
    const token = store.issue('issued-later');
    store.failNextListing();
    await sleep(90);
    expect(errors).toEqual([expect.objectContaining({ code: 'database_unavailable' })]);
    expect(directory.isKnown(token)).toBe(true);
    stop();
    const after = store.listings;
    expect(after).toBeGreaterThanOrEqual(3);
    await sleep(60);
    expect(store.listings).toBe(after);
  });
});
