import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/paths';
import { anEvent } from '../helpers/builders';
import { post } from '../helpers/http';
import { dbNameFor, startTestApp, testDatabaseUri, type TestApp } from '../helpers/testApp';
import { sleep } from '../helpers/time';

// The built CLI (npm test builds first), exactly as `npm run partners --` runs it.
const CLI = join(PROJECT_ROOT, 'dist', 'src', 'cli', 'partners.js');
const dbName = dbNameFor(__filename);

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', MONGODB_URI: testDatabaseUri(), MONGODB_DB: dbName },
    encoding: 'utf8',
    timeout: 20000,
  });
  return { code: result.status, out: result.stdout, err: result.stderr, json: () => JSON.parse(result.stdout) };
}

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ dbName, config: { authCacheTtlMs: 0 } });
});
afterAll(() => app.stop());

describe('npm run partners', () => {
  test('when a partner is added, then its key is printed once and works against the service', async () => {
    const added = cli('add', 'acme-clinic', '--json');
    expect(added.code).toBe(0);
    const { name, api_key, signing_secret, rate_per_second } = added.json();
    expect(name).toBe('acme-clinic');
    expect(api_key).toMatch(/^apptwh_[A-Za-z0-9_-]{43}$/);
    expect(signing_secret).toBeNull();
    expect(rate_per_second).toBeNull();

    const res = await post(app.endpoint, anEvent(), { Authorization: `Bearer ${api_key}` });
    expect(res.status).toBe(201);
    expect(await app.events.findOne({ event_id: res.body.event_id })).toMatchObject({ partner: 'acme-clinic' });
    // Only the digest is kept.
    const stored = JSON.stringify(await app.db.collection('partner_keys').find({}).toArray());
    expect(stored).not.toContain(api_key);
  });

  test('when a partner is added with --test, then its key is a test key whose events are answered "mode": "test" and kept out of live events', async () => {
    const added = cli('add', 'trial-clinic', '--test', '--json').json();
    expect(added.mode).toBe('test');
    expect(added.api_key).toMatch(/^apptwh_test_[A-Za-z0-9_-]{43}$/);
    const res = await post(app.endpoint, anEvent(), { Authorization: `Bearer ${added.api_key}` });
    expect(res.status).toBe(201);
    expect(res.body.mode).toBe('test');
    expect(await app.events.countDocuments({ partner: 'trial-clinic' })).toBe(0);
    expect(cli('list').out).toMatch(/trial-clinic\tactive\tsigning: no\tkeys: 0\ttest keys: 1/);
  });

  test('when an existing partner is given a test key, then both keys work, each in its own mode, and rotating the live key leaves the test key alone', async () => {
    const live = cli('add', 'dual-clinic', '--json').json();
    const test = cli('test-key', 'dual-clinic', '--json').json();
    expect(test.api_key).toMatch(/^apptwh_test_/);
    const rotated = cli('rotate-key', 'dual-clinic', '--grace', '1s', '--json').json();
    expect(rotated.mode).toBe('live');
    await sleep(1100);
    const modes = [];
    for (const key of [live.api_key, test.api_key, rotated.api_key]) {
      const res = await post(app.endpoint, anEvent(), { Authorization: `Bearer ${key}` });
      modes.push(res.status === 201 ? (res.body.mode ?? 'live') : res.status);
    }
    // The old live key expired with its grace; the test key was not rotated with it.
    expect(modes).toEqual([401, 'test', 'live']);
    expect(cli('test-key', 'no-such-clinic').code).not.toBe(0);
    expect(cli('revoke', 'dual-clinic', '--test').err).toMatch(/--test goes with add and rotate-key/);
  });

  test('when a signing partner is added with a rate, then the secret follows Standard Webhooks and the human output shows both once', () => {
    const added = cli('add', 'signing-clinic', '--signing', '--rate', '20', '--json').json();
    expect(added.signing_secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(added.signing_secret.slice(6), 'base64')).toHaveLength(32);
    expect(added.rate_per_second).toBe(20);

    const human = cli('add', 'human-clinic', '--signing');
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/API key: +apptwh_/);
    expect(human.out).toMatch(/Signing secret: whsec_/);
  });

  test('when partners are listed, then no secret is printed', () => {
    const added = cli('add', 'list-clinic', '--signing', '--json').json();
    const listed = cli('list', '--json');
    expect(listed.code).toBe(0);
    expect(listed.out).not.toContain(added.api_key);
    expect(listed.out).not.toContain(added.signing_secret);
    expect(listed.out).not.toMatch(/apptwh_|whsec_/);
    expect(listed.json()).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'list-clinic', signing: true, revoked_at: null, active_keys: 1 })]),
    );
    expect(cli('list').out).toContain('list-clinic\tactive\tsigning: yes');
  });

  test('when a key is rotated, then both keys work until the grace period ends, then only the new one', async () => {
    const { api_key: oldKey } = cli('add', 'rotating-clinic', '--json').json();
    const rotated = cli('rotate-key', 'rotating-clinic', '--grace', '2s', '--json');
    expect(rotated.code).toBe(0);
    const { api_key: newKey, previous_key_expires_at } = rotated.json();
    expect(newKey).not.toBe(oldKey);
    expect(Date.parse(previous_key_expires_at) - Date.now()).toBeLessThanOrEqual(2000);

    expect((await post(app.endpoint, anEvent(), { Authorization: `Bearer ${oldKey}` })).status).toBe(201);
    await sleep(Math.max(0, Date.parse(previous_key_expires_at) - Date.now()) + 100);
    expect((await post(app.endpoint, anEvent(), { Authorization: `Bearer ${oldKey}` })).status).toBe(401);
    expect((await post(app.endpoint, anEvent(), { Authorization: `Bearer ${newKey}` })).status).toBe(201);
  });

  test('when a key is rotated without --grace, then the old one keeps working for 24 hours', () => {
    cli('add', 'default-grace', '--json');
    const { previous_key_expires_at } = cli('rotate-key', 'default-grace', '--json').json();
    expect(Math.abs(Date.parse(previous_key_expires_at) - Date.now() - 24 * 3600 * 1000)).toBeLessThan(60000);
  });

  test('when a signing secret is rotated, then a new whsec_ secret is printed with the old one\'s end', () => {
    const { signing_secret: old } = cli('add', 'secret-clinic', '--signing', '--json').json();
    const rotated = cli('rotate-secret', 'secret-clinic', '--grace', '1h', '--json').json();
    expect(rotated.signing_secret).toMatch(/^whsec_/);
    expect(rotated.signing_secret).not.toBe(old);
    expect(Math.abs(Date.parse(rotated.previous_secret_expires_at) - Date.now() - 3600 * 1000)).toBeLessThan(60000);
  });

  test('when a partner is revoked, then its key is refused and it is listed as revoked', async () => {
    const { api_key } = cli('add', 'leaving-clinic', '--json').json();
    const revoked = cli('revoke', 'leaving-clinic', '--json');
    expect(revoked.code).toBe(0);
    expect(revoked.json().name).toBe('leaving-clinic');
    expect((await post(app.endpoint, anEvent(), { Authorization: `Bearer ${api_key}` })).status).toBe(401);
    expect(cli('list', '--json').json()).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'leaving-clinic', active_keys: 0, revoked_at: expect.any(String) })]),
    );
    expect(cli('rotate-key', 'leaving-clinic').code).toBe(2);
  });

  test.each([
    [[], /a command is required/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['add'], /add needs a partner name/],
    [['add', 'Bad Name!'], /not a valid partner name/],
    [['add', 'unauthenticated'], /"unauthenticated" is reserved/],
    [['add', 'x', '--rate', 'fast'], /--rate must be a whole number/],
    [['add', 'x', '--rate', '0'], /--rate must be a whole number/],
    [['add', 'x', '--colour'], /Unknown option '--colour'/],
    [['add', 'x', 'y'], /unexpected argument "y"/],
    [['list', 'x'], /unexpected argument "x"/],
    [['rotate-key', 'x', '--grace', 'forever'], /--grace must be a duration/],
    [['revoke', 'x', '--signing'], /--signing and --rate go with add/],
    [['revoke', 'nobody-here'], /no active partner named "nobody-here"/],
    [['rotate-key', 'nobody-here'], /no active partner named "nobody-here"/],
  ])('when the arguments are %p, then exit code 2 with a clear message', (args, message) => {
    const result = cli(...args);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.out).toBe('');
  });

  test('when a partner name is taken, or rotate-secret targets a partner that does not sign, then exit code 2', () => {
    cli('add', 'taken-clinic');
    const again = cli('add', 'taken-clinic');
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already exists/);
    const unsigned = cli('rotate-secret', 'taken-clinic');
    expect(unsigned.code).toBe(2);
    expect(unsigned.err).toMatch(/does not sign/);
  });
});
