import type { Document } from 'mongodb';
import { DELIVERIES_COLLECTION } from '../../src/store/deliveryLog';
import { DELIVERY_PACKS_COLLECTION } from '../../src/store/deliveryPacks';
import { TEST_EVENTS_COLLECTION } from '../../src/store/eventStore';
import { TEST_VERSION_KEYS_COLLECTION, versionKeysDatabaseName } from '../../src/store/versionKeys';
import { dbNameFor, startTestApp, type TestApp } from '../helpers/testApp';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ dbName: dbNameFor(__filename) });
});
afterAll(() => app.stop());

const DAY_MS = 86_400_000;
const deliveries = () => app.db.collection<{ _id: string } & Document>(DELIVERIES_COLLECTION);

describe('retention on the local database', () => {
  test('when records, test events and test version claims are past their retention, then a sweep deletes them and keeps the rest', async () => {
    const now = new Date();
    const old = (days: number) => new Date(now.getTime() - days * DAY_MS);
    const record = (id: string, at: Date) => ({ _id: `${String(at.getTime()).padStart(13, '0')}-${id}`, request_id: id, received_at: at, operation: 'receiveAppointmentEvent', partner: app.partner, mode: 'live', client_address: null, status: 201, errors: [], idempotency: 'payload', event_id: 1, replayed: false, latency_ms: 1 });
    await deliveries().insertMany([record('00000000-0000-4000-8000-000000000001', old(31)), record('00000000-0000-4000-8000-000000000002', old(29))]);
    // Packs (the local database's form) by their newest record's time.
    const packs = app.db.collection<{ _id: string } & Document>(DELIVERY_PACKS_COLLECTION);
    await packs.insertMany([{ _id: 'pack-old', received_at: old(30.5), records: '[]' }, { _id: 'pack-new', received_at: old(29.5), records: '[]' }]);
    const tests = app.db.collection<{ _id: string } & Document>(TEST_EVENTS_COLLECTION);
    await tests.deleteMany({});
    await tests.insertMany([
      { _id: 'retention-old', event_id: 1, partner: app.partner, received_at: old(8) },
      { _id: 'retention-new', event_id: 2, partner: app.partner, received_at: old(6) },
    ]);

    // A test version's claim goes with its event.
    const claims = app.db.client.db(versionKeysDatabaseName(app.db.databaseName)).collection<{ _id: string } & Document>(TEST_VERSION_KEYS_COLLECTION);
    await claims.insertMany([{ _id: 'k|old', at: old(8) }, { _id: 'k|new', at: old(6) }]);

    expect(await app.stores.retention!.sweep(now)).toBe(4);
    expect((await deliveries().find().toArray()).map((d) => d.request_id)).toEqual(['00000000-0000-4000-8000-000000000002']);
    expect((await packs.find().toArray()).map((d) => d._id)).toEqual(['pack-new']);
    expect((await tests.find().toArray()).map((d) => d._id)).toEqual(['retention-new']);
    expect((await claims.find().toArray()).map((d) => d._id)).toEqual(['k|new']);
  });
});
