// Over 200 lines: two neighbouring features, API keys and signatures, against one shared app and the same helpers; the two describe blocks are the seam if it is split.
import { generateApiKey, generateSigningSecret, hashApiKey } from '../../src/auth/credentials';
import { aPartner } from '../helpers/partners';
import { anEvent } from '../helpers/builders';
import { post, rawSocket } from '../helpers/http';
import { hmac, signedHeaders } from '../helpers/signing';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';
import { sleep } from '../helpers/time';

let app: TestApp;
beforeAll(async () => {
  // A short key cache so that revocation and the end of a grace period show within the test.
  app = await startTestApp({ dbName: dbNameFor(__filename), config: { authCacheTtlMs: 300 } });
});
afterAll(() => app.stop());
beforeEach(() => app.clear());

const newPartner = (options: { signing?: boolean } = {}) => aPartner(app.partners, options);

function expect401(res: { status: number; headers: Headers; body: any }, type: string) {
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toBe('Bearer realm="appointment-webhooks"');
  expect(res.body.status).toBe('error');
  expect(res.body.message).toBe('Unauthorized');
  expect(res.body.errors).toHaveLength(1);
  expect(res.body.errors[0].type).toBe(type);
}

describe('API keys', () => {
  afterEach(async () => expect(await app.events.countDocuments({ partner: { $exists: false } })).toBe(0));

  test('when no key is sent, then 401 with WWW-Authenticate and nothing is stored', async () => {
    expect401(await post(app.endpoint, anEvent()), 'auth_error.missing_key');
    expect(await app.events.countDocuments()).toBe(0);
  });

  test.each([
    ['Basic credentials', { Authorization: 'Basic dXNlcjpwYXNz' }],
    ['Bearer without a token', { Authorization: 'Bearer' }],
    ['a bearer token with spaces', { Authorization: 'Bearer apptwh_a apptwh_b' }],
    ['an empty X-API-Key', { 'X-API-Key': ' ' }],
    ['two keys in X-API-Key', { 'X-API-Key': 'apptwh_a, apptwh_b' }],
  ])('when the credentials are malformed (%s), then 401 and nothing is stored', async (_case, headers) => {
    expect401(await post(app.endpoint, anEvent(), headers), 'auth_error.malformed_key');
    expect(await app.events.countDocuments()).toBe(0);
  });

  test('when Authorization and X-API-Key carry two different keys, then 401 auth_error.multiple_keys', async () => {
    const other = await newPartner();
    expect401(await app.post(anEvent(), { 'X-API-Key': other.apiKey }), 'auth_error.multiple_keys');
    expect(await app.events.countDocuments()).toBe(0);
  });

  test.each([
    ['two Authorization headers with different keys', (a: string, b: string) => [`Authorization: Bearer ${a}`, `Authorization: Bearer ${b}`]],
    ['two Authorization headers with the same key', (a: string) => [`Authorization: Bearer ${a}`, `Authorization: Bearer ${a}`]],
    ['two X-API-Key headers', (a: string, b: string) => [`X-API-Key: ${a}`, `X-API-Key: ${b}`]],
  ])('when a request carries %s, then 401 auth_error.multiple_keys rather than whichever came first', async (_case, lines) => {
    const [one, two] = [await newPartner(), await newPartner()];
    const body = JSON.stringify(anEvent());
    const target = new URL(app.endpoint);
    const res = await rawSocket(
      app.endpoint,
      [
        `POST ${target.pathname} HTTP/1.1`,
        `Host: ${target.host}`,
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
        'Connection: close',
        ...lines(one.apiKey, two.apiKey),
        '',
        body,
      ].join('\r\n'),
    );
    expect(res.status).toBe(401);
    expect(res.body.errors[0].type).toBe('auth_error.multiple_keys');
    expect(await app.events.countDocuments()).toBe(0);
  });

  test.each([
    ['a well-formed key nobody holds', () => generateApiKey()],
    ['a key of the wrong shape', () => 'apptwh_tooShort'],
    ['a key of another service', () => 'sk_live_51H8xyz'],
  ])('when the key is unknown (%s), then 401 invalid_key and nothing is stored', async (_case, key) => {
    expect401(await post(app.endpoint, anEvent(), { Authorization: `Bearer ${key()}` }), 'auth_error.invalid_key');
    expect(await app.events.countDocuments()).toBe(0);
  });

  test('when the key is revoked, then the answer is identical to an unknown key', async () => {
    const partner = await newPartner();
    expect((await post(app.endpoint, anEvent(), partner.auth)).status).toBe(201);
    await app.partners.revoke(partner.name, new Date());
    await sleep(400); // the key cache's lifetime in this test app

    const revoked = await post(app.endpoint, anEvent(), partner.auth);
    const unknown = await post(app.endpoint, anEvent(), { Authorization: `Bearer ${generateApiKey()}` });
    expect401(revoked, 'auth_error.invalid_key');
    expect(revoked.text).toBe(unknown.text);
    expect(revoked.headers.get('www-authenticate')).toBe(unknown.headers.get('www-authenticate'));
    expect(await app.events.countDocuments({ partner: partner.name })).toBe(1);
  });

  test('when a partner is revoked, then its key stops working within the key cache lifetime', async () => {
    const partner = await newPartner();
    expect((await post(app.endpoint, anEvent(), partner.auth)).status).toBe(201);
    const revokedAt = Date.now();
    await app.partners.revoke(partner.name, new Date());

    let status = 201;
    while (status === 201 && Date.now() - revokedAt < 5000) {
      status = (await post(app.endpoint, anEvent(), partner.auth)).status;
      if (status === 201) await sleep(50);
    }
    expect(status).toBe(401);
    expect(Date.now() - revokedAt).toBeLessThan(1000);
  });

  test('when the key comes in X-API-Key, then the event is accepted and attributed to its partner', async () => {
    const partner = await newPartner();
    const res = await post(app.endpoint, anEvent(), { 'X-API-Key': partner.apiKey });
    expect(res.status).toBe(201);
    expect(await app.events.findOne({ event_id: res.body.event_id })).toMatchObject({ partner: partner.name });
  });

  test('when two partners send events, then each event records its partner and event_ids stay one global sequence', async () => {
    const [a, b] = [await newPartner(), await newPartner()];
    const first = await post(app.endpoint, anEvent(), a.auth);
    const second = await post(app.endpoint, anEvent(), b.auth);
    expect(second.body.event_id).toBeGreaterThan(first.body.event_id);
    expect(await app.events.findOne({ event_id: first.body.event_id })).toMatchObject({ partner: a.name });
    expect(await app.events.findOne({ event_id: second.body.event_id })).toMatchObject({ partner: b.name });
  });

  test.each([
    ['malformed JSON', '{"event_type": ', {}],
    ['an invalid event', JSON.stringify({ event_type: 'nope' }), {}],
    ['the wrong content type', 'x', { 'Content-Type': 'text/plain' }],
  ])('when the body is bad and there is no key (%s), then 401, not a body error', async (_case, body, headers) => {
    expect401(await post(app.endpoint, body, headers), 'auth_error.missing_key');
  });

  test('when a key is rotated, then the old key works during the grace period and not after it', async () => {
    const partner = await newPartner();
    const newKey = generateApiKey();
    await app.partners.rotateKey(partner.name, hashApiKey(newKey), new Date(Date.now() + 1000), new Date());
    await sleep(350);

    expect((await post(app.endpoint, anEvent(), partner.auth)).status).toBe(201);
    expect((await post(app.endpoint, anEvent(), { Authorization: `Bearer ${newKey}` })).status).toBe(201);

    await sleep(1000);
    expect401(await post(app.endpoint, anEvent(), partner.auth), 'auth_error.invalid_key');
    expect((await post(app.endpoint, anEvent(), { Authorization: `Bearer ${newKey}` })).status).toBe(201);
  });
});

describe('signatures', () => {
  test('when a signing partner signs correctly, then the event is accepted', async () => {
    const partner = await newPartner({ signing: true });
    const body = JSON.stringify(anEvent());
    const res = await post(app.endpoint, body, { ...partner.auth, ...signedHeaders(partner.secret, body) });
    expect(res.status).toBe(201);
    expect(await app.events.countDocuments({ partner: partner.name })).toBe(1);
  });

  test.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])('when %s is missing, then 401 and nothing is stored', async (header) => {
    const partner = await newPartner({ signing: true });
    const body = JSON.stringify(anEvent());
    const headers: Record<string, string> = { ...partner.auth, ...signedHeaders(partner.secret, body) };
    delete headers[header];
    expect401(await post(app.endpoint, body, headers), 'auth_error.signature_missing');
    expect(await app.events.countDocuments()).toBe(0);
  });

  test('when the signature was made with another secret, then 401', async () => {
    const partner = await newPartner({ signing: true });
    const body = JSON.stringify(anEvent());
    expect401(await post(app.endpoint, body, { ...partner.auth, ...signedHeaders(generateSigningSecret(), body) }), 'auth_error.signature_mismatch');
    expect(await app.events.countDocuments()).toBe(0);
  });

  test('when the body was altered after signing, then 401', async () => {
    const partner = await newPartner({ signing: true });
    const signed = JSON.stringify(anEvent({ patient_id: 'P8765' }));
    const tampered = JSON.stringify(anEvent({ patient_id: 'P8766' }));
    expect401(await post(app.endpoint, tampered, { ...partner.auth, ...signedHeaders(partner.secret, signed) }), 'auth_error.signature_mismatch');
    // Even a whitespace change counts: the signature covers the exact bytes.
    expect401(await post(app.endpoint, `${signed} `, { ...partner.auth, ...signedHeaders(partner.secret, signed) }), 'auth_error.signature_mismatch');
    expect(await app.events.countDocuments()).toBe(0);
  });

  test('when the signed id or timestamp is swapped for another, then 401', async () => {
    const partner = await newPartner({ signing: true });
    const body = JSON.stringify(anEvent());
    const headers = signedHeaders(partner.secret, body, { id: 'evt_1' });
    expect401(await post(app.endpoint, body, { ...partner.auth, ...headers, 'webhook-id': 'evt_2' }), 'auth_error.signature_mismatch');
  });

  // The exact boundary is unit-tested in signature.test.ts; over HTTP the offset leaves
  // room for the clock to tick between signing and checking on a loaded machine.
  test.each([
    ['more than 5 minutes old', -330],
    ['more than 5 minutes in the future', 330],
  ])('when the timestamp is %s, then 401 out of range', async (_case, offset) => {
    const partner = await newPartner({ signing: true });
    const body = JSON.stringify(anEvent());
    const headers = signedHeaders(partner.secret, body, { timestamp: Math.floor(Date.now() / 1000) + offset });
    const res = await post(app.endpoint, body, { ...partner.auth, ...headers });
    expect401(res, 'auth_error.timestamp_out_of_range');
    expect(res.body.errors[0].ctx).toEqual({ tolerance_seconds: 300 });
    expect(await app.events.countDocuments()).toBe(0);
  });

  test('when the timestamp is 4 minutes old, then it is still accepted', async () => {
    const partner = await newPartner({ signing: true });
    const body = JSON.stringify(anEvent());
    const headers = signedHeaders(partner.secret, body, { timestamp: Math.floor(Date.now() / 1000) - 240 });
    expect((await post(app.endpoint, body, { ...partner.auth, ...headers })).status).toBe(201);
  });

  test('when the timestamp is not whole seconds, then 401', async () => {
    const partner = await newPartner({ signing: true });
    const body = JSON.stringify(anEvent());
    const headers = { ...signedHeaders(partner.secret, body), 'webhook-timestamp': '2025-01-10T12:30:00Z' };
    expect401(await post(app.endpoint, body, { ...partner.auth, ...headers }), 'auth_error.timestamp_invalid');
  });

  test('when the secret is being rotated and the header carries signatures with both secrets, then it passes, as does either alone during the grace period', async () => {
    const partner = await newPartner({ signing: true });
    const newSecret = generateSigningSecret();
    await app.partners.rotateSecret(partner.name, newSecret, new Date(Date.now() + 1000), new Date());
    await sleep(350);
    const body = JSON.stringify(anEvent());
    const withOld = signedHeaders(partner.secret, body, { id: 'evt_rot' });
    const ts = withOld['webhook-timestamp']!;
    const both = `${withOld['webhook-signature']} v1,${hmac(newSecret, `evt_rot.${ts}.${body}`)}`;

    expect((await post(app.endpoint, body, { ...partner.auth, ...withOld, 'webhook-signature': both })).status).toBe(201);
    expect((await post(app.endpoint, body, { ...partner.auth, ...withOld })).status).toBe(201);
    expect((await post(app.endpoint, body, { ...partner.auth, ...signedHeaders(newSecret, body) })).status).toBe(201);

    await sleep(1000);
    expect401(await post(app.endpoint, body, { ...partner.auth, ...signedHeaders(partner.secret, body) }), 'auth_error.signature_mismatch');
    expect((await post(app.endpoint, body, { ...partner.auth, ...withOld, 'webhook-signature': both })).status).toBe(201);
  });

  test('when one of several signatures is junk and another is right, then it passes', async () => {
    const partner = await newPartner({ signing: true });
    const body = JSON.stringify(anEvent());
    const headers = signedHeaders(partner.secret, body);
    const res = await post(app.endpoint, body, { ...partner.auth, ...headers, 'webhook-signature': `v1,bm90IGl0 v2,xyz ${headers['webhook-signature']}` });
    expect(res.status).toBe(201);
  });

  test('when a signing partner sends a body over 64 KiB, then 413 before any signature work', async () => {
    const partner = await newPartner({ signing: true });
    const body = JSON.stringify(anEvent({ padding: 'x'.repeat(70000) }));
    const res = await post(app.endpoint, body, { ...partner.auth, ...signedHeaders(partner.secret, body) });
    expect(res.status).toBe(413);
    expect(await app.events.countDocuments()).toBe(0);
  });

  test('when a partner without a signing secret sends webhook headers, then they are ignored', async () => {
    const partner = await newPartner();
    const body = JSON.stringify(anEvent());
    expect((await post(app.endpoint, body, { ...partner.auth, ...signedHeaders(generateSigningSecret(), body) })).status).toBe(201);
  });
});
