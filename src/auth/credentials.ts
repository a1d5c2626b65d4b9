import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Partner credentials and consumer tokens. Both carry a fixed prefix so secret scanners can spot
 * a leaked one, and tell one kind from the other; only their SHA-256 is stored. Signing secrets
 * follow Standard Webhooks: `whsec_` + base64.
 */
export const API_KEY_PREFIX = 'apptwh_';
/** Test keys say so in the key itself, so a test key in a production config is easy to spot. */
export const TEST_API_KEY_PREFIX = 'apptwh_test_';
/** Read access for consumers: never accepted where a partner key is, nor the other way round. */
export const CONSUMER_TOKEN_PREFIX = 'apptrd_';
const SECRET_BYTES = 32;
const API_KEY_PATTERN = /^apptwh_(test_)?[A-Za-z0-9_-]{43}$/;
const CONSUMER_TOKEN_PATTERN = /^apptrd_[A-Za-z0-9_-]{43}$/;

/** The prefix and 32 random bytes, base64url (43 characters). */
function prefixedSecret(prefix: string): string {
  return prefix + randomBytes(SECRET_BYTES).toString('base64url');
}

/** Hex SHA-256: what the database stores of a key or token, and looks it up by. */
function sha256Hex(secret: string): string {
  // The one-shot form: no Hash object per request.
  return hash('sha256', secret, 'hex');
}

export function generateApiKey(mode: 'live' | 'test' = 'live'): string {
  return prefixedSecret(mode === 'test' ? TEST_API_KEY_PREFIX : API_KEY_PREFIX);
}

export function isWellFormedApiKey(key: string): boolean {
  return API_KEY_PATTERN.test(key);
}

export function hashApiKey(key: string): string {
  return sha256Hex(key);
}

export function generateConsumerToken(): string {
  return prefixedSecret(CONSUMER_TOKEN_PREFIX);
}

export function isWellFormedConsumerToken(token: string): boolean {
  return CONSUMER_TOKEN_PATTERN.test(token);
}

export function hashConsumerToken(token: string): string {
  return sha256Hex(token);
}

/** Constant-time equality of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

export function generateSigningSecret(): string {
  return 'whsec_' + randomBytes(SECRET_BYTES).toString('base64');
}
