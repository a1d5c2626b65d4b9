import { AppError, type ErrorDetail } from '../errors';
import { FailedAuthentications } from '../limits/failedAuthentications';
import type { KeyMode, PartnerCredentials, PartnerInputs } from '../store/partnerStore';
import type { WaitBudget } from '../store/waitBudget';
import { hashApiKey, isWellFormedApiKey } from './credentials';
import type { PartnerDirectory } from './partnerDirectory';
import { SlowLaneFull } from './partnerReads';
import { presentedKey, type DistinctHeaders, type PresentedKey } from './presentedKey';
import { verifySignature, type SignatureProblem } from './signature';

export interface AuthenticatedPartner {
  name: string;
  /** Whether the key was a live or a test key: a test key's events are stored apart. */
  mode: KeyMode;
  ratePerSecond: number | null;
  /** The webhook-id of a signed request. */
  webhookId?: string;
  /** How this partner's HL7 v2 and FHIR messages are read. */
  inputs: PartnerInputs;
}

/** What authentication looks at in one request. */
export interface AuthenticationRequest {
  headers: DistinctHeaders;
  /** The client's address (behind trusted proxies, the one they name). */
  address: string;
  rawBody: () => Promise<Buffer>;
  /** The request's database wait budget: lookups share it with the write. */
  budget: WaitBudget;
  /** Told the partner's name and key mode as soon as the key names one, even if the request is then refused. */
  identified?: (partner: string, mode: KeyMode) => void;
  /** False for a request without a body (a read): the key alone opens it, as there is nothing to sign. */
  signed?: boolean;
}

export interface AuthenticatorOptions {
  directory: Pick<PartnerDirectory, 'cached' | 'isKnown' | 'lookup' | 'reread'>;
  failures: FailedAuthentications;
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

function keyProblem(presented: Exclude<PresentedKey, { ok: true }>): ErrorDetail {
  const loc = ['header', presented.header];
  switch (presented.problem) {
    case 'missing':
      return { loc, msg: 'an API key is required: Authorization: Bearer <key> or X-API-Key: <key>', type: 'auth_error.missing_key' };
    case 'multiple':
      return { loc, msg: 'send one API key, in one Authorization or one X-API-Key header', type: 'auth_error.multiple_keys' };
    default:
      return { loc, msg: 'credentials are not in the form Authorization: Bearer <key> or X-API-Key: <key>', type: 'auth_error.malformed_key' };
  }
}

/** Keys from one over-budget address that may wait in the slow lane at once; the rest get 429 at once. */
const SLOW_LANE_PER_ADDRESS = 100;

function single(values: string[] | undefined): string | undefined {
  return values?.join(' ');
}

/**
 * Who is sending: the partner behind the API key, and, for partners with a signing secret,
 * proof that the raw body was signed by them recently. Unknown, revoked and expired keys get
 * one and the same answer. Failures are throttled where they happen (see FailedAuthentications);
 * keys and signatures are 256-bit secrets, so a valid one is always judged on its own merits.
 */
export function createAuthenticator(options: AuthenticatorOptions) {
  const { directory, failures } = options;
  const slowWaiting = new Map<string, number>();
  const expired = (partner: PartnerCredentials, now: Date) => partner.keyExpiresAt !== null && partner.keyExpiresAt <= now;
  /** A refused key: remembered as refused, answered 401 while its own budget lasts, then 429. */
  const refuseKey = (keyHash: string, header: string, invalidKey: () => AppError) =>
    FailedAuthentications.answer(failures.spend('key', keyHash), invalidKey(), ['header', header]);

  /** The partner behind a key not in memory, read from the database; refusals throttled as above. */
  async function readPartner(keyHash: string, address: string, budget: WaitBudget, header: string, invalidKey: () => AppError): Promise<PartnerCredentials> {
    if (directory.isKnown(keyHash)) {
      // A key the database holds: read at once, never counted against anyone's failures.
      const found = await budget.spend((remainingMs) => directory.lookup(keyHash, 'fast', remainingMs));
      if (!found) throw refuseKey(keyHash, header, invalidKey);
      return found;
    }
    // A key unknown here (a guess, or one issued in the last seconds). The address's budget is
    // spent before the lookup, so parallel guesses cannot all reach the database at once: past
    // it, keys wait for the slow lane (a few queries a second in all), at most a hundred per
    // address, so one address cannot fill it. They are still read, so a brand-new key is not
    // refused for others' failures; its spend is given back.
    const advance = failures.spend('address', address);
    const waiting = slowWaiting.get(address) ?? 0;
    if (!advance.allowed && waiting >= SLOW_LANE_PER_ADDRESS) throw FailedAuthentications.answer(advance, invalidKey(), ['client']);
    if (!advance.allowed) slowWaiting.set(address, waiting + 1);
    let found: PartnerCredentials | null;
    try {
      found = await budget.spend((remainingMs) => directory.lookup(keyHash, advance.allowed ? 'fast' : 'slow', remainingMs));
    } catch (err) {
      if (advance.allowed) failures.refund('address', address);
      if (err instanceof SlowLaneFull) throw FailedAuthentications.answer(advance, invalidKey(), ['client']);
      throw err;
    } finally {
      if (!advance.allowed) {
        const left = (slowWaiting.get(address) ?? 1) - 1;
        if (left > 0) slowWaiting.set(address, left);
        else slowWaiting.delete(address);
      }
    }
    if (!found) {
      failures.spend('key', keyHash);
      throw FailedAuthentications.answer(advance, invalidKey(), ['client']);
    }
    if (advance.allowed) failures.refund('address', address);
    return found;
  }

  return async function authenticate(request: AuthenticationRequest): Promise<AuthenticatedPartner> {
    const { address, budget } = request;
    const presented = presentedKey(request.headers);
    if (!presented.ok) {
      throw FailedAuthentications.answer(failures.spend('address', address), unauthorized(keyProblem(presented)), ['client']);
    }
    // Built only when a key is refused: an accepted request never pays for the error.
    const invalidKey = () => unauthorized({ loc: ['header', presented.header], msg: 'invalid API key', type: 'auth_error.invalid_key' });
    if (!isWellFormedApiKey(presented.key)) throw FailedAuthentications.answer(failures.spend('address', address), invalidKey(), ['client']);

    const keyHash = hashApiKey(presented.key);
    // A key refused before stays refused: it is answered from memory, under its own budget.
    if (failures.refusedBefore(keyHash)) throw refuseKey(keyHash, presented.header, invalidKey);

    const remembered = directory.cached(keyHash);
    let partner = remembered ?? (await readPartner(keyHash, address, budget, presented.header, invalidKey));
    request.identified?.(partner.name, partner.mode);
    const now = options.now();
    if (expired(partner, now)) throw refuseKey(keyHash, presented.header, invalidKey);
    if (partner.signingSecrets.length === 0 || request.signed === false) return { name: partner.name, mode: partner.mode, ratePerSecond: partner.ratePerSecond, inputs: partner.inputs };

    const signed = {
      id: single(request.headers['webhook-id']),
      timestamp: single(request.headers['webhook-timestamp']),
      signature: single(request.headers['webhook-signature']),
    };
    const body = await request.rawBody();
    const verify = (p: PartnerCredentials) =>
      verifySignature({
        secrets: p.signingSecrets.filter((s) => !s.expiresAt || s.expiresAt > now).map((s) => s.secret),
        headers: signed,
        body,
        nowSeconds: Math.floor(now.getTime() / 1000),
        toleranceSeconds: options.toleranceSeconds,
      });
    let problem = verify(partner);
    if (problem === 'signature_mismatch' && remembered !== undefined) {
      // The secret may have been rotated since the partner was remembered: read it again (within
      // a small budget per key) before refusing, so a new secret works at once.
      const fresh = await budget.spend((remainingMs) => directory.reread(keyHash, remainingMs));
      if (!fresh || expired(fresh, now)) throw refuseKey(keyHash, presented.header, invalidKey);
      partner = fresh;
      problem = verify(partner);
    }
    if (problem) {
      const header = problem === 'webhook_id_invalid' ? 'webhook-id' : problem.startsWith('timestamp') ? 'webhook-timestamp' : 'webhook-signature';
      const failure = unauthorized({
        loc: ['header', header],
        msg: SIGNATURE_MESSAGES[problem],
        type: `auth_error.${problem}`,
        ...(problem === 'timestamp_out_of_range' ? { ctx: { tolerance_seconds: options.toleranceSeconds } } : {}),
      });
      throw FailedAuthentications.answer(failures.spend('partner', partner.name), failure, ['header', header]);
    }
    return { name: partner.name, mode: partner.mode, ratePerSecond: partner.ratePerSecond, inputs: partner.inputs, webhookId: signed.id };
  };
}
