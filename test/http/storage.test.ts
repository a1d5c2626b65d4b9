import { anEvent } from '../helpers/builders';
import { dbNameFor, startTestApp, testDatabaseUri, type TestApp } from '../helpers/testApp';
import { startWireTap, type WireTap } from '../helpers/wireTap';

let tap: WireTap;
let app: TestApp;
beforeAll(async () => {
  tap = await startWireTap(Number(new URL(testDatabaseUri()).port));
  app = await startTestApp({ dbName: dbNameFor(__filename), uri: tap.uri });
});
afterAll(async () => {
  await app.stop();
  await tap.close();
});

describe('storage', () => {
  test('when the service starts, then it has created the unique event_id index and the two lookup indexes', async () => {
    const indexes = await app.events.indexes();
    const byName = Object.fromEntries(indexes.map((i) => [i.name, i]));
    expect(byName.event_id_unique).toMatchObject({ key: { event_id: 1 }, unique: true });
    expect(byName.appointment_id_timestamp).toMatchObject({ key: { appointment_id: 1, timestamp: 1 } });
    expect(byName.patient_id_timestamp).toMatchObject({ key: { patient_id: 1, timestamp: 1 } });
  });

  test('when an event is stored, then the insert on the wire asks for write concern majority with journal', async () => {
    const res = await app.post(anEvent({ appointment_id: 'wire-check' }));
    expect(res.status).toBe(201);

    const insert = tap.commands.find(
      (c) => c.insert === 'appointment_events' && (c.documents as { appointment_id?: string }[] | undefined)?.some((d) => d.appointment_id === 'wire-check'),
    );
    expect(insert).toBeDefined();
    expect(insert!.writeConcern).toEqual({ w: 'majority', j: true });
    expect(insert!.ordered).toBe(true);
  });
});
