import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Partner credentials. API keys carry a fixed prefix so secret scanners can spot a leaked one;
 * only their SHA-256 is stored. Signing secrets follow Standard Webhooks: `whsec_` + base64.
 */
export const API_KEY_PREFIX = 'apptwh_';
const API_KEY_BYTES = 32;
const API_KEY_PATTERN = /^apptwh_[A-Za-z0-9_-]{43}$/;
const SIGNING_SECRET_BYTES = 32;

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(API_KEY_BYTES).toString('base64url');
}

export function isWellFormedApiKey(key: string): boolean {
  return API_KEY_PATTERN.test(key);
}

/** Hex SHA-256 of the key: what the database stores and looks keys up by. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Constant-time equality of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

export function generateSigningSecret(): string {
  return 'whsec_' + randomBytes(SIGNING_SECRET_BYTES).toString('base64');
}
