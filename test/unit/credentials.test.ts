import { createHash } from 'node:crypto';
import {
  generateApiKey,
  generateConsumerToken,
  generateSigningSecret,
  hashApiKey,
  hashConsumerToken,
  isWellFormedApiKey,
  isWellFormedConsumerToken,
  sameDigest,
} from '../../src/auth/credentials';
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

describe('consumer tokens', () => {
  test('when tokens are generated, then each is apptrd_ and 32 random bytes in base64url, and none repeats', () => {
    const tokens = Array.from({ length: 200 }, generateConsumerToken);
    expect(new Set(tokens).size).toBe(200);
    for (const token of tokens) {
      expect(token).toMatch(/^apptrd_[A-Za-z0-9_-]{43}$/);
      expect(isWellFormedConsumerToken(token)).toBe(true);
      expect(Buffer.from(token.slice('apptrd_'.length), 'base64url')).toHaveLength(32);
    }
  });

  test('when a partner key is presented as a token, or a token as a partner key, then neither is well formed', () => {
    const key = generateApiKey();
    const token = generateConsumerToken();
    expect(isWellFormedConsumerToken(key)).toBe(false);
    expect(isWellFormedApiKey(token)).toBe(false);
  });

  test.each([
    ['', 'empty'],
    ['apptrd_' + 'a'.repeat(42), 'one character short'],
    ['apptrd_' + 'a'.repeat(44), 'one character long'],
    ['apptrd_' + 'a'.repeat(42) + '=', 'padded'],
    ['apptrd_' + 'a'.repeat(42) + '+', 'base64, not base64url'],
    ['APPTRD_' + 'a'.repeat(43), 'upper-case prefix'],
    [' apptrd_' + 'a'.repeat(43), 'leading space'],
    ['apptrd_' + 'a'.repeat(43) + '\n', 'trailing newline'],
  ])('when the token is %p (%s), then it is not well formed', (token) => {
    expect(isWellFormedConsumerToken(token)).toBe(false);
  });

  test('when a token is hashed, then the stored form is its SHA-256 in hex, and does not contain the token', () => {
    const token = generateConsumerToken();
    const digest = hashConsumerToken(token);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(digest).toBe(createHash('sha256').update(token).digest('hex'));
    expect(digest).not.toContain(token.slice(7));
    expect(sameDigest(digest, hashConsumerToken(generateConsumerToken()))).toBe(false);
  });
});

describe('presentedKey', () => {
  const key = 'apptwh_' + 'a'.repeat(43);
  test.each([
    [{ authorization: [`Bearer ${key}`] }, { ok: true, key, header: 'authorization' }],
    [{ authorization: [`bearer   ${key}`] }, { ok: true, key, header: 'authorization' }],
    [{ 'x-api-key': [key] }, { ok: true, key, header: 'x-api-key' }],
    [{ authorization: [`Bearer ${key}`], 'x-api-key': [key] }, { ok: true, key, header: 'authorization' }],
    [{}, { ok: false, problem: 'missing', header: 'authorization' }],
    [{ authorization: [`Token ${key}`] }, { ok: false, problem: 'malformed', header: 'authorization' }],
    [{ 'x-api-key': [`${key} ${key}`] }, { ok: false, problem: 'malformed', header: 'x-api-key' }],
    [{ authorization: [`Bearer ${key}`], 'x-api-key': ['apptwh_other'] }, { ok: false, problem: 'multiple', header: 'authorization' }],
    [{ authorization: [`Bearer ${key}`, `Bearer ${key}`] }, { ok: false, problem: 'multiple', header: 'authorization' }],
    [{ authorization: [`Bearer ${key}`, 'Bearer apptwh_other'] }, { ok: false, problem: 'multiple', header: 'authorization' }],
    [{ 'x-api-key': [key, key] }, { ok: false, problem: 'multiple', header: 'x-api-key' }],
  ])('when the headers are %p, then the result is %p', (headers, expected) => {
    expect(presentedKey(headers)).toEqual(expected);
  });
});
