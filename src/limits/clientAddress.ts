import { isIP } from 'node:net';

/**
 * The key a client address is counted under: an IPv4 address as it is (an IPv4-mapped IPv6
 * address as its IPv4 form), an IPv6 address by its /64 prefix, since one subscriber holds a
 * whole /64 and could otherwise start afresh with every address in it. Anything that is not an
 * address (a misconfigured proxy passing a client's free text) counts under the connection's peer.
 */
export function addressKey(claimed: string | undefined, peer: string | undefined): string {
  const address = claimed !== undefined && isIP(claimed) ? claimed : peer !== undefined && isIP(peer) ? peer : 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIP(address) !== 6) return address;
  return `${expandIpv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, without its zone, each as written (lower case). */
function expandIpv6(address: string): string[] {
  const plain = address.toLowerCase().replace(/%.*$/, '');
  const [head = '', tail] = plain.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (::1.2.3.4) fills two groups; the prefix never reaches it.
  const missing = 8 - left.length - right.length - right.filter((g) => g.includes('.')).length;
  return [...left, ...Array<string>(tail === undefined ? 0 : Math.max(0, missing)).fill('0'), ...right].map((g) => g.replace(/^0+(?=.)/, ''));
}
