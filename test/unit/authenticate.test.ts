import { createAuthenticator, type AuthenticationRequest } from '../../src/auth/authenticate';
import { generateApiKey, hashApiKey } from '../../src/auth/credentials';
import type { Lane } from '../../src/auth/partnerReads';
import { AppError } from '../../src/errors';
import { FailedAuthentications } from '../../src/limits/failedAuthentications';
import type { PartnerCredentials } from '../../src/store/partnerStore';
import { WaitBudget } from '../../src/store/waitBudget';
import { sleep } from '../helpers/time';

const partner = (name: string): PartnerCredentials => ({ name, keyHash: '', keyExpiresAt: null, mode: 'live', signingSecrets: [], ratePerSecond: null, inputs: {} });

/** A directory that knows `valid` keys and holds every read until `release`. */
function heldDirectory(valid: Record<string, PartnerCredentials>) {
  const reads: { hash: string; lane: Lane }[] = [];
  const held: (() => void)[] = [];
  return {
    reads,
    release: () => held.splice(0).forEach((go) => go()),
    directory: {
      cached: () => undefined,
      isKnown: (hash: string) => hash in valid,
      reread: async (hash: string) => valid[hash] ?? null,
      lookup: (hash: string, lane: Lane = 'fast') => {
        reads.push({ hash, lane });
        return new Promise<PartnerCredentials | null>((resolve) => held.push(() => resolve(valid[hash] ?? null)));
      },
    },
  };
}

const request = (key: string, address: string): AuthenticationRequest => ({
  headers: { authorization: [`Bearer ${key}`] },
  address,
  rawBody: async () => Buffer.alloc(0),
  budget: new WaitBudget(60_000),
});

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    return `ok:${((await promise) as { name: string }).name}`;
  } catch (err) {
    return err instanceof AppError ? err.code : 'other';
  }
}

describe('authenticate, under a flood of guesses', () => {
  test('when one address sends 300 unknown keys at once, then 3 are read at once, 100 wait for the slow lane, and the rest get 429 unread', async () => {
    const { directory, reads, release } = heldDirectory({});
    const authenticate = createAuthenticator({ directory, failures: new FailedAuthentications({ ratePerSecond: 1, burst: 3 }, 1000, () => 0), toleranceSeconds: 300, now: () => new Date() });
    const results = Array.from({ length: 300 }, () => outcome(authenticate(request(generateApiKey(), '203.0.113.1'))));
    await sleep(5);
    expect(reads.filter((r) => r.lane === 'fast')).toHaveLength(3);
    expect(reads.filter((r) => r.lane === 'slow')).toHaveLength(100);
    release();
    const codes = await Promise.all(results);
    expect(codes.filter((c) => c === 'unauthorized')).toHaveLength(3);
    expect(codes.filter((c) => c === 'rate_limited')).toHaveLength(297);
  });

  test('when a valid key the database holds comes from that flooded address, then it is read at once, costs no budget, and is accepted', async () => {
    const key = generateApiKey();
    const { directory, reads, release } = heldDirectory({ [hashApiKey(key)]: partner('clinic') });
    const failures = new FailedAuthentications({ ratePerSecond: 1, burst: 3 }, 1000, () => 0);
    const authenticate = createAuthenticator({ directory, failures, toleranceSeconds: 300, now: () => new Date() });
    const guesses = Array.from({ length: 50 }, () => outcome(authenticate(request(generateApiKey(), '203.0.113.2'))));
    const valid = outcome(authenticate(request(key, '203.0.113.2')));
    await sleep(5);
    expect(reads.find((r) => r.hash === hashApiKey(key))?.lane).toBe('fast');
    release();
    expect(await valid).toBe('ok:clinic');
    await Promise.all(guesses);
  });

  test('when another address has spent its budget too, then its valid key is still accepted', async () => {
    const key = generateApiKey();
    const { directory, release } = heldDirectory({ [hashApiKey(key)]: partner('lab') });
    const failures = new FailedAuthentications({ ratePerSecond: 1, burst: 1 }, 1000, () => 0);
    failures.spend('address', '198.51.100.9');
    const authenticate = createAuthenticator({ directory, failures, toleranceSeconds: 300, now: () => new Date() });
    const valid = outcome(authenticate(request(key, '198.51.100.9')));
    await sleep(5);
    release();
    expect(await valid).toBe('ok:lab');
  });
});
