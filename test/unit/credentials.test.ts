import { generateApiKey, generateSigningSecret, hashApiKey, isWellFormedApiKey, sameDigest } from '../../src/auth/credentials';
import { cachedLookup } from '../../src/auth/keyCache';
import { presentedKey } from '../../src/auth/presentedKey';

describe('credentials', () => {
  test('when keys are generated, then each carries the scanner prefix and 32 random bytes, and none repeats', () => {
    const keys = Array.from({ length: 200 }, generateApiKey);
    expect(new Set(keys).size).toBe(200);
    for (const key of keys) {
      expect(isWellFormedApiKey(key)).toBe(true);
      expect(Buffer.from(key.slice('apptwh_'.length), 'base64url')).toHaveLength(32);
    }
  });

  test('when a key is hashed, then the stored form is its SHA-256 in hex, not the key', () => {
    const key = generateApiKey();
    const hash = hashApiKey(key);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(key.slice(7));
    expect(sameDigest(hash, hashApiKey(key))).toBe(true);
    expect(sameDigest(hash, hashApiKey(generateApiKey()))).toBe(false);
    expect(sameDigest(hash, '')).toBe(false);
  });

  test('when signing secrets are generated, then they are whsec_ and base64 of 32 bytes', () => {
    const secret = generateSigningSecret();
    expect(secret).toMatch(/^whsec_/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
  });
});

describe('presentedKey', () => {
  const key = 'apptwh_' + 'a'.repeat(43);
  test.each([
    [{ authorization: `Bearer ${key}` }, { ok: true, key, header: 'authorization' }],
    [{ authorization: `bearer   ${key}` }, { ok: true, key, header: 'authorization' }],
    [{ 'x-api-key': key }, { ok: true, key, header: 'x-api-key' }],
    [{ authorization: `Bearer ${key}`, 'x-api-key': key }, { ok: true, key, header: 'authorization' }],
    [{}, { ok: false, problem: 'missing', header: 'authorization' }],
    [{ authorization: `Token ${key}` }, { ok: false, problem: 'malformed', header: 'authorization' }],
    [{ 'x-api-key': `${key} ${key}` }, { ok: false, problem: 'malformed', header: 'x-api-key' }],
    [{ authorization: `Bearer ${key}`, 'x-api-key': 'apptwh_other' }, { ok: false, problem: 'malformed', header: 'authorization' }],
  ])('when the headers are %p, then the result is %p', (headers, expected) => {
    expect(presentedKey(headers)).toEqual(expected);
  });
});

describe('cachedLookup', () => {
  test('when a key was found, then it is served from memory until its lifetime ends', async () => {
    let clock = 0;
    let calls = 0;
    const lookup = cachedLookup(async (hash) => (calls++, hash === 'known' ? { name: 'p' } : null), { ttlMs: 1000, now: () => clock });

    expect(await lookup('known')).toEqual({ name: 'p' });
    clock = 999;
    expect(await lookup('known')).toEqual({ name: 'p' });
    expect(calls).toBe(1);
    clock = 1000;
    await lookup('known');
    expect(calls).toBe(2);
  });

  test('when a key was not found, then the next request asks again (a new key works at once)', async () => {
    let calls = 0;
    const lookup = cachedLookup(async () => (calls++, null), { ttlMs: 1000 });
    await lookup('unknown');
    await lookup('unknown');
    expect(calls).toBe(2);
  });

  test('when more keys than the limit are seen, then the oldest entry makes room', async () => {
    let calls = 0;
    const lookup = cachedLookup(async (hash) => (calls++, { hash }), { ttlMs: 60000, maxEntries: 2 });
    await lookup('a');
    await lookup('b');
    await lookup('c');
    await lookup('a');
    expect(calls).toBe(4);
  });
});
