import { addressKey } from '../../src/limits/clientAddress';

describe('addressKey', () => {
  test.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:DB8:0001:0002::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
  ])('when the client is %s, then it is counted as %s', (address, key) => {
    expect(addressKey(address, '10.0.0.1')).toBe(key);
  });

  test('when every address of one /64 is tried, then they all count as one client', () => {
    const keys = new Set(Array.from({ length: 100 }, (_, i) => addressKey(`2001:db8:5:6:${i.toString(16)}::${i}`, undefined)));
    expect(keys.size).toBe(1);
  });

  test.each([
    ['free text', 'hello'],
    ['a 15 KB string', 'x'.repeat(15000)],
    ['nothing', undefined],
  ])('when the claimed address is %s, then the connection\'s peer is used', (_case, claimed) => {
    expect(addressKey(claimed, '198.51.100.4')).toBe('198.51.100.4');
  });
});
