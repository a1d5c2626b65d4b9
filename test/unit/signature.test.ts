import { sign, verifySignature } from '../../src/auth/signature';

// The Standard Webhooks specification's published example.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: '1614265330',
  body: Buffer.from('{"test": 2432232314}'),
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

function verify(overrides: Partial<{ secrets: string[]; signature: string; timestamp: string; id: string; now: number; body: Buffer }> = {}) {
  return verifySignature({
    secrets: overrides.secrets ?? [VECTOR.secret],
    headers: { id: overrides.id ?? VECTOR.id, timestamp: overrides.timestamp ?? VECTOR.timestamp, signature: overrides.signature ?? VECTOR.signature },
    body: overrides.body ?? VECTOR.body,
    nowSeconds: overrides.now ?? Number(VECTOR.timestamp),
    toleranceSeconds: 300,
  });
}

describe('Standard Webhooks signatures', () => {
  test('when signing the specification\'s example, then the published signature comes out', () => {
    expect(sign(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  test('when verifying the specification\'s example, then it passes', () => {
    expect(verify()).toBeUndefined();
  });

  test.each([
    [300, undefined],
    [-300, undefined],
    [301, 'timestamp_out_of_range'],
    [-301, 'timestamp_out_of_range'],
  ])('when the clock is %i s away from the timestamp, then the result is %p', (skew, expected) => {
    expect(verify({ now: Number(VECTOR.timestamp) + skew })).toBe(expected);
  });

  test('when several signatures are sent, then any one match passes and other versions are ignored', () => {
    expect(verify({ signature: `v1a,abc v1,AAAA ${VECTOR.signature}` })).toBeUndefined();
    expect(verify({ signature: 'v1,AAAA v1a,abc' })).toBe('signature_mismatch');
  });

  test('when the partner has two secrets during a rotation, then a signature with either passes', () => {
    expect(verify({ secrets: ['whsec_c2Vjb25kLXNlY3JldC1mb3ItdGVzdGluZw==', VECTOR.secret] })).toBeUndefined();
    expect(verify({ secrets: ['whsec_c2Vjb25kLXNlY3JldC1mb3ItdGVzdGluZw=='] })).toBe('signature_mismatch');
    expect(verify({ secrets: [] })).toBe('signature_mismatch');
  });

  test.each([
    [{ body: Buffer.from('{"test": 2432232315}') }, 'signature_mismatch'],
    [{ id: 'msg_other' }, 'signature_mismatch'],
    [{ signature: 'v1,not base64 at all!' }, 'signature_mismatch'],
    [{ signature: VECTOR.signature.slice(0, -4) }, 'signature_mismatch'],
    [{ signature: '' }, 'signature_missing'],
    [{ id: '' }, 'signature_missing'],
    [{ id: 'has space' }, 'webhook_id_invalid'],
    [{ timestamp: '1614265330.5' }, 'timestamp_invalid'],
    [{ timestamp: '-1' }, 'timestamp_invalid'],
  ])('when the input is changed to %p, then verification says %s', (overrides, expected) => {
    expect(verify(overrides)).toBe(expected);
  });
});
