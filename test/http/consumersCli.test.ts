import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ConsumerDirectory } from '../../src/auth/consumerDirectory';
import { hashConsumerToken } from '../../src/auth/credentials';
import { PROJECT_ROOT } from '../../src/paths';
import { CONSUMERS_COLLECTION } from '../../src/store/consumerStore';
import { aPartner } from '../helpers/partners';
import { dbNameFor, startTestApp, testDatabaseUri, type TestApp } from '../helpers/testApp';
import { sleep } from '../helpers/time';

// The built CLI (npm test builds first), exactly as `npm run consumers --` runs it.
const CLI = join(PROJECT_ROOT, 'dist', 'src', 'cli', 'consumers.js');
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
/** What the request pipeline will ask, against the same database; nothing remembered between calls. */
let directory: ConsumerDirectory;
const storedConsumer = (name: string) => app.db.collection(CONSUMERS_COLLECTION).findOne({ name });

beforeAll(async () => {
  app = await startTestApp({ dbName });
  directory = new ConsumerDirectory({ store: app.stores.consumers, ttlMs: 0 });
  await aPartner(app.partners, { name: 'acme-clinic' });
  await aPartner(app.partners, { name: 'globex-clinic' });
});
afterAll(() => app.stop());

describe('npm run consumers', () => {
  test('when a consumer is added, then its token is printed once, authenticates, and only its digest is stored', async () => {
    const added = cli('add', 'reporting', '--json');
    expect(added.code).toBe(0);
    const { name, token, partners } = added.json();
    expect(name).toBe('reporting');
    expect(token).toMatch(/^apptrd_[A-Za-z0-9_-]{43}$/);
    expect(partners).toBeNull();
    expect(await directory.authenticateConsumer(token)).toEqual({ name: 'reporting', partners: null });

    const stored = await storedConsumer('reporting');
    expect(stored).toMatchObject({ name: 'reporting', token_digest: hashConsumerToken(token), partners: null });
    const everything = JSON.stringify(await app.db.collection(CONSUMERS_COLLECTION).find({}).toArray());
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(token.slice('apptrd_'.length));
    // Shown once: listing never shows it again.
    expect(cli('list', '--json').out).not.toContain(token);
  });

  test('when --partner is repeated, then the consumer reads exactly those partners, stored sorted and once each', async () => {
    const added = cli('add', 'two-clinics', '--partner', 'globex-clinic', '--partner', 'acme-clinic', '--partner', 'globex-clinic', '--json');
    expect(added.code).toBe(0);
    const { token, partners } = added.json();
    expect(partners).toEqual(['acme-clinic', 'globex-clinic']);
    expect(await directory.authenticateConsumer(token)).toEqual({ name: 'two-clinics', partners: ['acme-clinic', 'globex-clinic'] });
    expect((await storedConsumer('two-clinics'))?.partners).toEqual(['acme-clinic', 'globex-clinic']);

    const human = cli('add', 'one-clinic', '--partner', 'acme-clinic');
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/reading the events of acme-clinic/);
    expect(human.out).toMatch(/^Token: apptrd_[A-Za-z0-9_-]{43}$/m);
  });

  test('when --partner names a partner that does not exist, then exit code 2 names it, and no consumer is created', async () => {
    const result = cli('add', 'ghost-reader', '--partner', 'acme-clinic', '--partner', 'no-such-clinic', '--json');
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/--partner names no partner: "no-such-clinic"/);
    expect(result.err).not.toMatch(/"acme-clinic"/);
    expect(result.out).toBe('');
    expect(await storedConsumer('ghost-reader')).toBeNull();
  });

  test('when consumers are listed, then names, partners and state are shown, and no token or digest', async () => {
    const { token } = cli('add', 'listed-reader', '--partner', 'acme-clinic', '--json').json();
    const listed = cli('list', '--json');
    expect(listed.code).toBe(0);
    expect(listed.out).not.toContain(token);
    expect(listed.out).not.toContain(hashConsumerToken(token));
    expect(listed.out).not.toMatch(/apptrd_|digest/);
    expect(listed.json()).toEqual(
      expect.arrayContaining([
        { name: 'listed-reader', partners: ['acme-clinic'], created_at: expect.any(String), revoked_at: null, previous_token_expires_at: null },
      ]),
    );
    expect(cli('list').out).toMatch(/^listed-reader\tactive\tpartners: acme-clinic$/m);
  });

  test('when a token is rotated, then both tokens work until the grace period ends, then only the new one', async () => {
    const { token: oldToken } = cli('add', 'rotating-reader', '--json').json();
    // Long enough for the checks below to run on a loaded machine (each CLI run is a process).
    const rotated = cli('rotate', 'rotating-reader', '--grace', '6s', '--json');
    expect(rotated.code).toBe(0);
    const { token: newToken, previous_token_expires_at } = rotated.json();
    expect(newToken).toMatch(/^apptrd_/);
    expect(newToken).not.toBe(oldToken);
    expect(Date.parse(previous_token_expires_at) - Date.now()).toBeLessThanOrEqual(6000);
    expect((await storedConsumer('rotating-reader'))?.token_digest).toBe(hashConsumerToken(newToken));
    expect(JSON.stringify(await storedConsumer('rotating-reader'))).not.toMatch(/apptrd_/);

    expect(await directory.authenticateConsumer(oldToken)).toMatchObject({ name: 'rotating-reader' });
    expect(await directory.authenticateConsumer(newToken)).toMatchObject({ name: 'rotating-reader' });
    expect(cli('list', '--json').json()).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'rotating-reader', previous_token_expires_at })]),
    );
    await sleep(Math.max(0, Date.parse(previous_token_expires_at) - Date.now()) + 100);
    expect(await directory.authenticateConsumer(oldToken)).toBeNull();
    expect(await directory.authenticateConsumer(newToken)).toMatchObject({ name: 'rotating-reader' });
  });

  test('when a token is rotated without --grace, then the old one keeps working for 24 hours, and the human output says until when', () => {
    cli('add', 'default-grace-reader');
    const { previous_token_expires_at } = cli('rotate', 'default-grace-reader', '--json').json();
    expect(Math.abs(Date.parse(previous_token_expires_at) - Date.now() - 24 * 3600 * 1000)).toBeLessThan(60000);
    const human = cli('rotate', 'default-grace-reader', '--grace', '1h');
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/^New token for "default-grace-reader" \(shown once\): apptrd_[A-Za-z0-9_-]{43}$/m);
    expect(human.out).toMatch(/The previous token works until \d{4}-\d\d-\d\dT/);
  });

  test('when a consumer is revoked, then its token is refused, it is listed as revoked, and it can be neither rotated nor revoked again', async () => {
    const { token } = cli('add', 'leaving-reader', '--json').json();
    const revoked = cli('revoke', 'leaving-reader', '--json');
    expect(revoked.code).toBe(0);
    expect(revoked.json()).toEqual({ name: 'leaving-reader', revoked_at: expect.any(String) });
    expect(await directory.authenticateConsumer(token)).toBeNull();
    expect(cli('list', '--json').json()).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'leaving-reader', revoked_at: expect.any(String) })]),
    );
    expect(cli('list').out).toMatch(/^leaving-reader\trevoked\t/m);
    expect(cli('rotate', 'leaving-reader').code).toBe(2);
    expect(cli('revoke', 'leaving-reader').err).toMatch(/no active consumer named "leaving-reader"/);
  });

  test('when a consumer name is taken, then adding it again exits with code 2 and the first token still works', async () => {
    const { token } = cli('add', 'taken-reader', '--json').json();
    const again = cli('add', 'taken-reader');
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/a consumer named "taken-reader" already exists/);
    expect(again.out).toBe('');
    expect(await directory.authenticateConsumer(token)).toMatchObject({ name: 'taken-reader' });
  });

  test.each([
    [[], /a command is required/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['add'], /add needs a consumer name/],
    [['add', 'Bad Name!'], /"Bad Name!" is not a valid consumer name/],
    [['add', 'x', '--partner', 'Bad Partner'], /"Bad Partner" is not a valid partner name/],
    [['add', 'x', '--partner'], /--partner/],
    [['add', 'x', '--colour'], /Unknown option '--colour'/],
    [['add', 'x', 'y'], /unexpected argument "y"/],
    [['list', 'x'], /unexpected argument "x"/],
    [['rotate', 'x', '--grace', 'forever'], /--grace must be a duration/],
    [['revoke', 'x', '--partner', 'acme-clinic'], /--partner goes with add/],
    [['add', 'x', '--grace', '1h'], /--grace goes with rotate/],
    [['revoke', 'nobody-here'], /no active consumer named "nobody-here"/],
    [['rotate', 'nobody-here'], /no active consumer named "nobody-here"/],
  ])('when the arguments are %p, then exit code 2 with a clear message', (args, message) => {
    const result = cli(...args);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.out).toBe('');
  });
});
