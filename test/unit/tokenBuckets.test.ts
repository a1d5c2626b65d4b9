import { rateLimitHeaders, TokenBuckets, type Policy } from '../../src/limits/tokenBuckets';

const policy: Policy = { name: 'partner', ratePerSecond: 50, burst: 100 };

describe('TokenBuckets', () => {
  test('when a burst is spent, then the next request is refused until a token has refilled', () => {
    let now = 0;
    const buckets = new TokenBuckets(10, () => now);
    for (let i = 0; i < 100; i++) expect(buckets.take('p', policy).allowed).toBe(true);
    const refused = buckets.take('p', policy);
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 1, resetSeconds: 2 });

    now = 0.02; // one token at 50/s
    expect(buckets.take('p', policy).allowed).toBe(true);
    expect(buckets.take('p', policy).allowed).toBe(false);
    now = 10;
    expect(buckets.peek('p', policy).remaining).toBe(100);
  });

  test('when keys differ, then their buckets are independent', () => {
    const buckets = new TokenBuckets(10, () => 0);
    const tight = { ...policy, burst: 1 };
    expect(buckets.take('a', tight).allowed).toBe(true);
    expect(buckets.take('a', tight).allowed).toBe(false);
    expect(buckets.take('b', tight).allowed).toBe(true);
  });

  test('when more keys than the limit are seen, then memory stays bounded by evicting the least recently used', () => {
    const buckets = new TokenBuckets(1000, () => 0);
    for (let i = 0; i < 5000; i++) buckets.take(`address-${i}`, policy);
    expect(buckets.size).toBe(1000);
  });

  test('when headers are rendered, then they follow the IETF structured form', () => {
    const buckets = new TokenBuckets(10, () => 0);
    buckets.take('p', policy);
    expect(rateLimitHeaders(buckets.peek('p', policy))).toEqual({
      'RateLimit-Policy': '"partner";q=100;w=2',
      RateLimit: '"partner";r=99;t=1',
    });
  });
});
