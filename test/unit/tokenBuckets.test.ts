import { rateLimitHeaders, TokenBuckets, type Policy } from '../../src/limits/tokenBuckets';

const policy: Policy = { name: 'partner', ratePerSecond: 50, burst: 100 };

describe('TokenBuckets', () => {
  test('when a burst is spent, then the next request is refused until a token has refilled', () => {
    let now = 0;
    const buckets = new TokenBuckets(10, () => now);
    for (let i = 0; i < 100; i++) expect(buckets.take('p', policy).allowed).toBe(true);
    const refused = buckets.take('p', policy);
    // With no whole token left, more quota comes with the next token: t and Retry-After agree.
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 1, resetSeconds: 1 });

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

  test('when a bucket is slow to refill, then Retry-After and t both name the wait for the next request', () => {
    let now = 0;
    const buckets = new TokenBuckets(10, () => now);
    const slow = { name: 'slow', ratePerSecond: 0.25, burst: 2 };
    buckets.take('a', slow);
    buckets.take('a', slow);
    const refused = buckets.take('a', slow);
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 4, resetSeconds: 4 });
    now = 3;
    expect(buckets.peek('a', slow)).toMatchObject({ remaining: 0, retryAfterSeconds: 1, resetSeconds: 1 });
    now = 4;
    expect(buckets.peek('a', slow)).toMatchObject({ remaining: 1, retryAfterSeconds: 0, resetSeconds: 4 });
    now = 100;
    expect(buckets.peek('a', slow)).toMatchObject({ remaining: 2, retryAfterSeconds: 0, resetSeconds: 0 });
  });

  test('when a request spent in advance is refunded, then the bucket is as if it had not been spent, never above its burst', () => {
    const buckets = new TokenBuckets(10, () => 0);
    const tight = { ...policy, burst: 2 };
    buckets.take('a', tight);
    buckets.take('a', tight);
    buckets.refund('a', tight);
    expect(buckets.peek('a', tight).remaining).toBe(1);
    buckets.refund('a', tight);
    buckets.refund('a', tight);
    expect(buckets.peek('a', tight).remaining).toBe(2);
    expect(buckets.has('a')).toBe(true);
    expect(buckets.has('never-seen')).toBe(false);
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
