import type { IncomingHttpHeaders } from 'node:http';
import { AppError, type ErrorDetail } from '../errors';
import type { PartnerCredentials } from '../store/partnerStore';
import { hashApiKey, isWellFormedApiKey, sameDigest } from './credentials';
import { presentedKey } from './presentedKey';
import { verifySignature, type SignatureProblem } from './signature';

export interface AuthenticatedPartner {
  name: string;
  ratePerSecond: number | null;
  /** The webhook-id of a signed request. */
  webhookId?: string;
}

export interface AuthenticatorOptions {
  findByKeyHash: (keyHash: string) => Promise<PartnerCredentials | null>;
  toleranceSeconds: number;
  now: () => Date;
}

const SIGNATURE_MESSAGES: Record<SignatureProblem, string> = {
  signature_missing: 'this partner signs its requests: webhook-id, webhook-timestamp and webhook-signature are required',
  webhook_id_invalid: 'webhook-id must be 1 to 256 visible ASCII characters',
  timestamp_invalid: 'webhook-timestamp must be whole seconds since the Unix epoch',
  timestamp_out_of_range: 'webhook-timestamp is too far from the current time',
  signature_mismatch: 'no signature in webhook-signature matches the request',
};

function unauthorized(detail: ErrorDetail): AppError {
  return new AppError('unauthorized', [detail]);
}

/**
 * Who is sending: the partner behind the API key, and, for partners with a signing secret,
 * proof that the raw body was signed by them recently. Unknown, revoked and expired keys get
 * one and the same answer.
 */
export function createAuthenticator(options: AuthenticatorOptions) {
  return async function authenticate(headers: IncomingHttpHeaders, rawBody: () => Promise<Buffer>): Promise<AuthenticatedPartner> {
    const presented = presentedKey(headers);
    if (!presented.ok) {
      throw unauthorized(
        presented.problem === 'missing'
          ? { loc: ['header', 'authorization'], msg: 'an API key is required: Authorization: Bearer <key> or X-API-Key: <key>', type: 'auth_error.missing_key' }
          : { loc: ['header', presented.header], msg: 'credentials are not in the form Authorization: Bearer <key> or X-API-Key: <key>', type: 'auth_error.malformed_key' },
      );
    }
    const invalidKey = unauthorized({ loc: ['header', presented.header], msg: 'invalid API key', type: 'auth_error.invalid_key' });
    if (!isWellFormedApiKey(presented.key)) throw invalidKey;

    const keyHash = hashApiKey(presented.key);
    const partner = await options.findByKeyHash(keyHash);
    const now = options.now();
    if (!partner || !sameDigest(keyHash, partner.keyHash) || (partner.keyExpiresAt && partner.keyExpiresAt <= now)) {
      throw invalidKey;
    }

    const secrets = partner.signingSecrets.filter((s) => !s.expiresAt || s.expiresAt > now).map((s) => s.secret);
    if (partner.signingSecrets.length === 0) return { name: partner.name, ratePerSecond: partner.ratePerSecond };

    const signed = {
      id: single(headers['webhook-id']),
      timestamp: single(headers['webhook-timestamp']),
      signature: single(headers['webhook-signature']),
    };
    const problem = verifySignature({
      secrets,
      headers: signed,
      body: await rawBody(),
      nowSeconds: Math.floor(now.getTime() / 1000),
      toleranceSeconds: options.toleranceSeconds,
    });
    if (problem) {
      const header = problem === 'webhook_id_invalid' ? 'webhook-id' : problem.startsWith('timestamp') ? 'webhook-timestamp' : 'webhook-signature';
      throw unauthorized({
        loc: ['header', header],
        msg: SIGNATURE_MESSAGES[problem],
        type: `auth_error.${problem}`,
        ...(problem === 'timestamp_out_of_range' ? { ctx: { tolerance_seconds: options.toleranceSeconds } } : {}),
      });
    }
    return { name: partner.name, ratePerSecond: partner.ratePerSecond, webhookId: signed.id };
  };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(' ') : value;
}
