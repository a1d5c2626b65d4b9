import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks v1 signatures: base64 HMAC-SHA256, keyed with the base64-decoded part of the
 * `whsec_` secret, over `{webhook-id}.{webhook-timestamp}.{raw body}`, sent as `v1,<base64>`.
 * A header may carry several space-separated signatures (secret rotation); any match passes.
 */
export type SignatureProblem =
  | 'signature_missing'
  | 'webhook_id_invalid'
  | 'timestamp_invalid'
  | 'timestamp_out_of_range'
  | 'signature_mismatch';

export interface SignedHeaders {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
}

const WEBHOOK_ID = /^[\x21-\x7e]{1,256}$/;
const TIMESTAMP = /^\d{1,12}$/;
const MAX_SIGNATURES = 20;

function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

function digest(secret: string, id: string, timestamp: string, body: Buffer): Buffer {
  return createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.`).update(body).digest();
}

export function sign(secret: string, id: string, timestamp: string, body: Buffer): string {
  return `v1,${digest(secret, id, timestamp, body).toString('base64')}`;
}

export function verifySignature(input: {
  secrets: readonly string[];
  headers: SignedHeaders;
  body: Buffer;
  nowSeconds: number;
  toleranceSeconds: number;
}): SignatureProblem | undefined {
  const { id, timestamp, signature } = input.headers;
  if (!id || !timestamp || !signature) return 'signature_missing';
  if (!WEBHOOK_ID.test(id)) return 'webhook_id_invalid';
  if (!TIMESTAMP.test(timestamp)) return 'timestamp_invalid';
  if (Math.abs(input.nowSeconds - Number(timestamp)) > input.toleranceSeconds) return 'timestamp_out_of_range';

  const presented = signature
    .split(' ')
    .slice(0, MAX_SIGNATURES)
    .flatMap((entry) => (entry.startsWith('v1,') ? [Buffer.from(entry.slice(3), 'base64')] : []));
  for (const secret of input.secrets) {
    const expected = digest(secret, id, timestamp, input.body);
    for (const candidate of presented) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) return undefined;
    }
  }
  return 'signature_mismatch';
}
