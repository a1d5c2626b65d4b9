import { MongoClient, type Db } from 'mongodb';
import { EVENTS_COLLECTION } from '../../src/store/eventStore';
import { planEventQuery, READ_INDEXES } from '../../src/store/eventQueryPlan';
import { openEventReads } from '../../src/store/eventReads';
import { dbNameFor, testDatabaseUri } from '../helpers/testApp';

/*
 * Where the database uses indexes (MongoDB), every query GET /events sends names its index in a
 * hint, and a hint to a missing index is an error there. This checks, on the real database, that
 * the store creates exactly the indexes the planner names, with the keys the planner assumes.
 * (The local FerretDB answers every query by reading the whole collection, so its query plans
 * say nothing about indexes; the plan's own shape is checked for every filter combination in
 * test/unit/eventQueryPlan.test.ts.)
 */
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  client = await MongoClient.connect(testDatabaseUri());
  db = client.db(dbNameFor(__filename));
  await db.dropDatabase();
});
afterAll(() => client.close());

describe('the read indexes', () => {
  test('when the reads open with indexes, then every index the planner hints exists with the keys it assumes, and hinted queries run', async () => {
    const reads = await openEventReads(db, { readIndexes: true });
    const indexes = await db.collection(EVENTS_COLLECTION).listIndexes().toArray();
    const byName = new Map(indexes.map((index) => [index.name as string, index.key as Record<string, number>]));
    for (const [name, key] of Object.entries(READ_INDEXES)) expect([name, byName.get(name)]).toEqual([name, key]);
    // Each planned query runs with its hint on this database.
    for (const query of [{ appointmentId: 'A1', partners: ['p'] }, { patientId: 'P1' }, { partners: ['p', 'q'] }, { eventTypes: ['appointment.scheduled'] }, {}]) {
      const plan = planEventQuery({ ...query, order: 'desc', limit: 5 });
      expect(byName.has(plan.hint)).toBe(true);
      await expect(reads.list({ ...query, order: 'desc', limit: 5 }, 10_000)).resolves.toEqual({ events: [] });
    }
  });
});
