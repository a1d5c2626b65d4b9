import { MongoClient, type Db } from 'mongodb';
import { openVersionKeys, TEST_VERSION_KEYS_COLLECTION, VERSION_KEYS_COLLECTION, type VersionKeys } from '../../src/store/versionKeys';
import { dbNameFor, testDatabaseUri } from '../helpers/testApp';

let client: MongoClient;
let db: Db;
let keys: VersionKeys;
beforeAll(async () => {
  client = await MongoClient.connect(testDatabaseUri(), { monitorCommands: true });
  db = client.db(dbNameFor(__filename));
  keys = await openVersionKeys(db);
});
afterEach(() => Promise.all([VERSION_KEYS_COLLECTION, TEST_VERSION_KEYS_COLLECTION].map((name) => db.collection(name).deleteMany({}))));
afterAll(async () => {
  await db.dropDatabase();
  await client.close();
});

const version = (key: string, fingerprint: string) => ({ key, fingerprint });

describe('FHIR version claims', () => {
  test('when versions and claims beside them are made at one moment, then one insert carries them all, each gets its own answer, and the modes stay apart', async () => {
    const inserts: string[] = [];
    const seen = (event: { commandName: string; databaseName: string }) => event.commandName === 'insert' && event.databaseName === db.databaseName && inserts.push(event.commandName);
    client.on('commandStarted', seen);
    try {
      const at = new Date();
      const answers = await Promise.all([keys.claim('live', [version('v1', 'A')], 5000), keys.beside.insert('live', { _id: 's|x', at }), keys.beside.insert('live', { _id: 's|x', at })]);
      expect(answers).toEqual([[], true, false]);
      expect(inserts).toHaveLength(1);
    } finally {
      client.off('commandStarted', seen);
    }
    expect(await keys.beside.insert('test', { _id: 's|x', at: new Date() })).toBe(true);
    expect(await keys.beside.collection('live').countDocuments({ _id: 's|x' })).toBe(1);
    expect(await keys.beside.collection('test').countDocuments({ _id: 's|x' })).toBe(1);
  });

  test('when versions are claimed for the first time, then none is refused, and each is taken with its content', async () => {
    expect(await keys.claim('live', [version('v1', 'A'), version('v2', 'B')], 5000)).toEqual([]);
    const ids = (await db.collection(VERSION_KEYS_COLLECTION).find({}).toArray()).map((d) => d._id as unknown as string).sort();
    expect(ids).toEqual(['c|v1|A', 'c|v2|B', 'k|v1', 'k|v2']);
  });

  test('when a version comes again with the content it was claimed for, then it is not refused', async () => {
    await keys.claim('live', [version('v1', 'A')], 5000);
    expect(await keys.claim('live', [version('v1', 'A'), version('v3', 'C')], 5000)).toEqual([]);
  });

  test('when versions come again with other content, then exactly their positions are refused, and the fresh ones beside them are claimed', async () => {
    await keys.claim('live', [version('v1', 'A'), version('v2', 'B')], 5000);
    expect(await keys.claim('live', [version('v9', 'Z'), version('v2', 'changed'), version('v1', 'A'), version('v1', 'other')], 5000)).toEqual([1, 3]);
    expect(await keys.claim('live', [version('v9', 'Z')], 5000)).toEqual([]);
    // Refused, not taken: the same other content is refused again.
    expect(await keys.claim('live', [version('v2', 'changed')], 5000)).toEqual([0]);
  });

  test('when one batch holds the same refused version twice, then both are refused', async () => {
    await keys.claim('live', [version('v1', 'A')], 5000);
    expect(await keys.claim('live', [version('v1', 'B'), version('v1', 'B')], 5000)).toEqual([0, 1]);
  });

  test('when a version was claimed as a test-mode one, then the live version of the same key is claimed apart', async () => {
    await keys.claim('test', [version('v1', 'A')], 5000);
    expect(await keys.claim('live', [version('v1', 'B')], 5000)).toEqual([]);
    expect(await keys.claim('test', [version('v1', 'B')], 5000)).toEqual([0]);
  });

  test('when two deliveries claim one version with different content at once, then exactly one of them is refused', async () => {
    const results = await Promise.all(['A', 'B', 'C', 'D'].map((content) => keys.claim('live', [version('raced', content)], 5000)));
    expect(results.filter((refused) => refused.length === 0)).toHaveLength(1);
    expect(results.flat()).toEqual([0, 0, 0]);
  });

  test('when a key is handed to one content, then claims of other content for it are gone, and other keys keep theirs', async () => {
    await keys.claim('live', [version('v1', 'A'), version('v1.5', 'A')], 5000);
    expect(await keys.claim('live', [version('v1', 'B')], 5000)).toEqual([0]);
    await keys.reassign('live', version('v1', 'B'), 5000);
    expect(await keys.claim('live', [version('v1', 'B'), version('v1', 'A'), version('v1.5', 'A')], 5000)).toEqual([1]);
  });

  test('when the key is there without its pair (claims of one content interleaved), then its own content is read from the key and passes, and other content does not', async () => {
    await db.collection<{ _id: string; fp: string }>(VERSION_KEYS_COLLECTION).insertOne({ _id: 'k|half', fp: 'A' });
    expect(await keys.claim('live', [version('half', 'B')], 5000)).toEqual([0]);
    expect(await keys.claim('live', [version('half', 'A')], 5000)).toEqual([]);
    expect(await keys.claim('live', [version('half', 'B')], 5000)).toEqual([0]);
  });

  test('when no time is left, then 503 and nothing is claimed', async () => {
    await expect(keys.claim('live', [version('late', 'A')], 0)).rejects.toMatchObject({ code: 'database_unavailable' });
    expect(await db.collection(VERSION_KEYS_COLLECTION).countDocuments()).toBe(0);
  });
});
