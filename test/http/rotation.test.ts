import { generateApiKey, generateSigningSecret, hashApiKey } from '../../src/auth/credentials';
import { anEvent } from '../helpers/builders';
import { post } from '../helpers/http';
import { aPartner } from '../helpers/partners';
import { signedHeaders } from '../helpers/signing';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

// The default key cache (30 s): what is tested is that rotation does not wait for it.
let app: TestApp;
let reads = 0;
beforeAll(async () => {
  app = await startTestApp({
    dbName: dbNameFor(__filename),
    config: { authCacheTtlMs: 30_000 },
    wrapPartners: (partners) => ({
      ...partners,
      findByKeyHashes: (hashes) => {
        reads += 1;
        return partners.findByKeyHashes(hashes);
      },
    }),
  });
});
afterAll(() => app.stop());

const signed = (secret: string, auth: Record<string, string>) => {
  const body = JSON.stringify(anEvent());
  return { body, headers: { ...auth, ...signedHeaders(secret, body) } };
};

describe('credential rotation', () => {
  test('when a signing secret is rotated while the partner is remembered, then the new secret works at once, and the old one through the grace period', async () => {
    const partner = await aPartner(app.partners, { signing: true });
    const before = signed(partner.secret, partner.auth);
    expect((await post(app.endpoint, before.body, before.headers)).status).toBe(201);

    const newSecret = generateSigningSecret();
    await app.partners.rotateSecret(partner.name, newSecret, new Date(Date.now() + 60_000), new Date());
    // Not a moment later: the key cache still holds the partner with only the old secret.
    const withNew = signed(newSecret, partner.auth);
    expect((await post(app.endpoint, withNew.body, withNew.headers)).status).toBe(201);
    const withOld = signed(partner.secret, partner.auth);
    expect((await post(app.endpoint, withOld.body, withOld.headers)).status).toBe(201);
  });

  test('when an API key is rotated, then the new key works at once and the old one through the grace period', async () => {
    const partner = await aPartner(app.partners);
    expect((await post(app.endpoint, anEvent(), partner.auth)).status).toBe(201);
    const newKey = generateApiKey();
    await app.partners.rotateKey(partner.name, hashApiKey(newKey), new Date(Date.now() + 60_000), new Date());
    expect((await post(app.endpoint, anEvent(), { Authorization: `Bearer ${newKey}` })).status).toBe(201);
    expect((await post(app.endpoint, anEvent(), partner.auth)).status).toBe(201);
  });

  test('when bad signatures keep coming with a valid key, then they cannot make the partner be read from the database more than about once a second', async () => {
    const partner = await aPartner(app.partners, { signing: true, ratePerSecond: 10_000 });
    const first = signed(partner.secret, partner.auth);
    expect((await post(app.endpoint, first.body, first.headers)).status).toBe(201);
    const readsBefore = reads;
    const started = performance.now();
    const wrongSecret = generateSigningSecret();
    for (let i = 0; i < 50; i++) {
      const bad = signed(wrongSecret, partner.auth);
      expect((await post(app.endpoint, bad.body, bad.headers)).status).toBe(401);
    }
    const seconds = (performance.now() - started) / 1000;
    // A budget of two re-reads, refilled once a second, however many bad signatures arrive.
    expect(reads - readsBefore).toBeGreaterThanOrEqual(1);
    expect(reads - readsBefore).toBeLessThanOrEqual(2 + Math.ceil(seconds));
  });
});
